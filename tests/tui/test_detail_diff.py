"""The detail view's diff (issue 17): what an event changed above its JSON, ``d`` to hide and
show it, ``b`` to the previous change of the same resource, even outside the filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from audit_tui.query import Query
from audit_tui.tui.screens.detail import DetailScreen
from tests.tui.helpers import make_app, settle

SIZE = (160, 45)


def _event(i: int, when: str, etype: str, resource: str, **metadata: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{i}",
        "audited_at": when,
        "event_type": etype,
        "resource": {"type": "agent", "id": resource, "name": resource},
        "organization": {"id": "org_1", "name": "Acme"},
        "workspace": {"id": "ws_1", "name": "Production"},
        "actor": {"type": "user", "id": "usr_1", "name": "Ada", "email": "ada@example.com"},
        "metadata": metadata,
    }


def _file(tmp_path: Path) -> Path:
    events = [
        _event(1, "2026-11-19T08:00:00Z", "Agent Created", "agt_a"),
        _event(2, "2026-11-19T09:00:00Z", "Agent Invoked", "agt_a"),
        _event(
            3,
            "2026-11-19T10:00:00Z",
            "Agent Configuration Changed",
            "agt_a",
            changes={"before": {"model": "gpt-4o"}, "after": {"model": "gpt-4o-mini"}},
        ),
        _event(4, "2026-11-19T10:30:00Z", "Agent Invoked", "agt_b"),
        _event(
            5,
            "2026-11-19T11:00:00Z",
            "Agent Rolled Back",
            "agt_a",
            changes={
                "before": {"model": "gpt-4o-mini", "tools": ["a"]},
                "after": {"model": "gpt-4o\x1b]52;c;aGk=\x07", "tools": ["a", "b"]},
            },
        ),
    ]
    path = tmp_path / "changes.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return path


def _shown(screen: DetailScreen) -> str:
    return str(screen.query_one("#detail-json").render())


def _title(screen: DetailScreen) -> str:
    return str(screen.query_one("#detail-title").render())


async def test_diff_above_the_json_and_d_toggles_it(tmp_path: Path) -> None:
    app = make_app(_file(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the newest: the rollback
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        shown = _shown(screen)
        assert shown.startswith("What changed")
        assert '~ model: "gpt-4o-mini" → "gpt-4o\\u001b]52;c;aGk=\\u0007"' in shown
        assert '+ tools.1: "b"' in shown
        assert shown.index("What changed") < shown.index('"event_type": "Agent Rolled Back"')
        assert "\x1b" not in shown and "\x07" not in shown
        assert "2 changes" in _title(screen)
        await pilot.press("d")
        assert "What changed" not in _shown(screen)
        assert '"event_type": "Agent Rolled Back"' in _shown(screen)
        await pilot.press("d")
        assert "What changed" in _shown(screen)
        # c still copies the original record
        await pilot.press("c")
        assert app.clipboard == (tmp_path / "changes.jsonl").read_bytes().splitlines()[-1].decode()
        # an event without a change: no diff, d says so
        await pilot.press("right_square_bracket")
        assert "What changed" not in _shown(screen) and "changes" not in _title(screen)


async def test_b_walks_back_through_the_resources_changes(tmp_path: Path) -> None:
    app = make_app(_file(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        await pilot.press("b")  # the rollback -> the configuration change (agt_b is skipped)
        assert '"id": "evt_3"' in _shown(screen) and screen.index == 2
        assert '~ model: "gpt-4o" → "gpt-4o-mini"' in _shown(screen)
        await pilot.press("b")  # -> the creation (the invocation changes nothing)
        assert '"id": "evt_1"' in _shown(screen) and screen.index == 4
        await pilot.press("b")  # nothing earlier: stays, says so
        assert '"id": "evt_1"' in _shown(screen)


async def test_b_reaches_a_change_the_filters_hide(tmp_path: Path) -> None:
    app = make_app(_file(tmp_path), Query(event_types=frozenset({"Agent Rolled Back"})))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen) and screen.view.count == 1
        await pilot.press("b")
        assert '"id": "evt_3"' in _shown(screen)
        assert "outside the current filters" in _title(screen)
        await pilot.press("right_square_bracket")  # back to the list
        assert '"id": "evt_5"' in _shown(screen) and "outside" not in _title(screen)
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)
