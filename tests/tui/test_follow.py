"""Following a growing file in the browser (F, --follow): lines appended to the file join the
table, the counts, the facet counts and the timeline; the cursor stays on its event, the top
row rides along with the newest events, and the status line says what arrived."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from audit_tui.query import Query
from audit_tui.tui.widgets.event_table import EventTable
from audit_tui.tui.widgets.filters import FacetPanel
from audit_tui.tui.widgets.status import StatusBar

from .helpers import browser, make_app, settle

SIZE = (150, 40)
ACTORS = [
    {"type": "user", "id": "usr_ada", "name": "Ada", "email": "ada@example.com"},
    {"type": "user", "id": "usr_bob", "name": "Bob", "email": "bob@example.com"},
]


def event(i: int, actor: int | None = None, note: str = "") -> bytes:
    """Event ``i``: a minute after event ``i - 1`` (on 2026-11-20, before the fixed now)."""
    record = {
        "id": f"evt_{i:04d}",
        "audited_at": f"2026-11-20T{8 + i // 60:02d}:{i % 60:02d}:00Z",
        "event_type": "agent.created" if i % 2 else "key.revoked",
        "resource": {"type": "agent", "id": f"agt_{i}", "name": f"agent {i}"},
        "organization": {"id": "org_1", "name": "Acme"},
        "workspace": {"id": "ws_prod", "name": "Production"},
        "actor": ACTORS[i % 2 if actor is None else actor],
        "metadata": {"note": note or f"event {i}"},
    }
    return orjson.dumps(record) + b"\n"


def events(start: int, stop: int, **kw: Any) -> bytes:
    return b"".join(event(i, **kw) for i in range(start, stop))


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


async def wait_for(pilot: Any, done: Callable[[], bool], what: str) -> None:
    """Let the app run until ``done()`` (polls come every quarter second)."""
    for _ in range(400):
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def table(app: Any) -> EventTable:
    return app.screen.query_one(EventTable)


def status(app: Any) -> str:
    return app.screen.query_one(StatusBar).plain


def ids(app: Any) -> list[str]:
    view = table(app).view
    return [orjson.loads(view.raw(i))["id"] for i in range(view.count)]


def facet_counts(app: Any, facet: str) -> dict[str, int]:
    panel = next(p for p in app.screen.query(FacetPanel) if p.facet == facet)
    return {v.value: v.count for v in panel.values}


async def test_f_follows_the_file_and_new_events_join_everything(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(events(0, 20))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app).view.count == 20
        assert "following" not in status(app)
        await pilot.press("F")
        await wait_for(pilot, lambda: "following" in status(app), "following")
        assert "· following" in status(app)
        histogram = browser(app).histogram
        assert histogram is not None and int(histogram.counts.sum()) == 20
        append(path, events(20, 26))
        await wait_for(pilot, lambda: table(app).view.count == 26, "6 new rows")
        assert ids(app)[:3] == ["evt_0025", "evt_0024", "evt_0023"]  # newest first, on top
        assert table(app).cursor == 0
        assert status(app).startswith("26 of 26 events")
        assert "following · +6" in status(app)
        assert facet_counts(app, "actors") == {"usr_ada": 13, "usr_bob": 13}
        histogram = browser(app).histogram
        assert histogram is not None and int(histogram.counts.sum()) == 26
        await pilot.press("F")
        await wait_for(pilot, lambda: "following" not in status(app), "stopped")
        append(path, events(26, 30))
        await pilot.pause(1.0)
        await settle(pilot)
        assert table(app).view.count == 26  # no longer followed


async def test_the_cursor_stays_on_its_event_and_new_rows_above_are_counted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(events(0, 60))
    app = make_app(path, follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: "following" in status(app), "following at start")
        for _ in range(40):  # down past the first screen
            await pilot.press("j")
        before = table(app).view.raw(table(app).cursor)
        screen_top = table(app).scroll_offset.y
        top_event = table(app).view.raw(screen_top)
        append(path, events(60, 65))
        await wait_for(pilot, lambda: table(app).view.count == 65, "5 new rows")
        await pilot.pause()
        assert table(app).cursor == 45
        assert table(app).view.raw(table(app).cursor) == before  # the same event
        assert table(app).view.raw(table(app).scroll_offset.y) == top_event  # screen stays put
        assert "5 new ↑" in status(app)
        append(path, events(65, 67))
        await wait_for(pilot, lambda: "7 new ↑" in status(app), "7 new above")
        await pilot.press("g")  # to the top: the newest rows are in sight
        await pilot.pause()
        assert "new ↑" not in status(app)
        assert orjson.loads(table(app).view.raw(0))["id"] == "evt_0066"


async def test_the_top_row_rides_along_under_a_search_and_a_sort(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(events(0, 30))
    app = make_app(path, Query(text="ada"), sort=("event_type", False), follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: "following" in status(app), "following at start")
        assert table(app).view.count == 15
        append(path, events(30, 34, actor=0) + events(34, 40, actor=1))
        await wait_for(pilot, lambda: table(app).view.count == 19, "4 new matches")
        rows = [table(app).view.row(i) for i in range(19)]
        kinds = [r.event_type for r in rows]
        assert kinds == sorted(kinds)  # still sorted by event type
        # Ada's old events are all key.revoked; two of her new ones (31, 33) sort above them
        assert [r.id for r in rows[:2]] == ["evt_0033", "evt_0031"]
        assert table(app).cursor == 0
        assert "following · +4" in status(app)
        assert facet_counts(app, "actors")["usr_ada"] == 19


async def test_follow_says_why_it_cannot(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("audited_at,event_type\n2026-11-20T10:00:00Z,a.b\n")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await wait_for(
            pilot,
            lambda: any("only JSON lines" in str(n.message) for n in app._notifications),
            "the reason",
        )
        assert "following" not in status(app)


async def test_rotation_while_following_is_said_and_read(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    path.write_bytes(events(0, 10))
    app = make_app(path, follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: "following" in status(app), "following at start")
        path.rename(tmp_path / "app.jsonl.1")
        path.write_bytes(events(10, 13))
        await wait_for(pilot, lambda: table(app).view.count == 13, "the new file's events")
        assert any("rotated" in str(n.message) for n in app._notifications)
        assert sorted(ids(app)) == [f"evt_{i:04d}" for i in range(13)]
