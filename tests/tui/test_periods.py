"""Time presets that fit real logs: the last hour and day, and an empty period that says when
the newest event is and moves back to it with one key (issue 12)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from audit_tui.query import Query
from audit_tui.tui.widgets.period import OPTIONS

from .helpers import FIXED_NOW, browser, make_app, settle


def test_hour_and_day_presets() -> None:
    labels = [label.plain for label, _ in OPTIONS]
    assert labels[:3] == ["All time", "Last 1 hour", "Last 24 hours"]
    window = Query(period="1h").window(FIXED_NOW)
    assert window.until is not None and window.since is not None
    assert window.until - 1 - window.since == 3_600_000
    window = Query(period="24h").window(FIXED_NOW)
    assert window.until is not None and window.since is not None
    assert window.until - 1 - window.since == 86_400_000


def old_log(tmp_path: Path) -> Path:
    lines = []
    newest = FIXED_NOW - timedelta(days=300)
    for i in range(5):
        when = (newest - timedelta(days=i * 2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(
            json.dumps(
                {
                    "id": f"evt_{i}",
                    "audited_at": when,
                    "event_type": "User Login",
                    "actor": {"id": "usr_1", "name": "Olga", "type": "user"},
                }
            )
        )
    path = tmp_path / "old.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_an_empty_period_points_at_the_newest_event(tmp_path: Path) -> None:
    app = make_app(old_log(tmp_path), query=Query(period="7d"))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        screen = browser(app)
        assert screen.view.count == 0
        message = screen.view.empty_message()
        assert "newest event is from 2026-01-24" in message and "Press A" in message
        table: Any = screen.table
        assert "Press A" in "".join(seg.text for seg in table.render_line(2))
        await pilot.press("A")
        await settle(pilot)
        assert screen.audit_query.period == "custom"
        assert screen.view.count == 4  # the 7 days ending at the newest event
        assert screen.audit_query.until == "2026-01-24T12:00:00.001Z"


async def test_anchor_says_so_when_the_period_shows_events() -> None:
    app = make_app(query=Query(period="90d"))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        query = browser(app).audit_query
        await pilot.press("A")
        await settle(pilot)
        assert browser(app).audit_query == query
