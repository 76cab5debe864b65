"""A screen that works at 80x24: panels as an overlay, columns dropped by priority, the
footer's Help and Quit, years when the events span more than one year (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets._footer import FooterKey

from audit_tui.tui.widgets.event_table import EventTable, layout
from audit_tui.tui.widgets.filters import FacetList, FilterSidebar
from audit_tui.tui.widgets.footer import KeyFooter

from .helpers import browser, make_app, settle


def test_columns_drop_by_priority_and_keep_the_event_type_whole() -> None:
    wide = [c.key for c, _ in layout(200, type_width=27).columns]
    assert wide == ["event_type", "resource", "organization", "workspace", "actor"]
    narrow = layout(79, type_width=27)
    keys = [c.key for c, _ in narrow.columns]
    assert "organization" not in keys  # Organization gives way first
    assert dict((c.key, w) for c, w in narrow.columns)["event_type"] == 27
    tiny = [c.key for c, _ in layout(50, type_width=27).columns]
    assert tiny == ["event_type"]  # every other column gave way before the type is cut


def test_times_keep_their_year_when_the_events_span_years() -> None:
    assert layout(80).time == 14
    assert layout(80, years=True).time == 19


async def test_panels_are_an_overlay_below_120_columns() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        sidebar = app.screen.query_one(FilterSidebar)
        table = app.screen.query_one(EventTable)
        assert not sidebar.display and sidebar.has_class("-overlay")
        width = table.size.width
        await pilot.press("a")
        await pilot.pause()
        assert sidebar.display
        assert isinstance(app.focused, FacetList)
        assert table.size.width == width  # over the table, not beside it
        await pilot.press("escape")
        await pilot.pause()
        assert not sidebar.display and app.focused is table


async def test_panels_sit_beside_the_table_from_120_columns() -> None:
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        sidebar = app.screen.query_one(FilterSidebar)
        assert sidebar.display and not sidebar.has_class("-overlay")
        await pilot.press("a", "escape")
        await pilot.pause()
        assert sidebar.display  # escape only returns to the table


@pytest.mark.parametrize("width", [60, 80, 120])
async def test_footer_keeps_help_and_quit(width: int) -> None:
    app = make_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        keys = {k.action: k for k in footer.query(FooterKey)}
        for action in ("app.help", "app.quit"):
            key = keys.get(action) or keys[action.split(".")[1]]
            region = key.region
            assert region.width > 0 and region.right <= width


async def test_year_shown_when_the_events_span_years(tmp_path: Path) -> None:
    lines = []
    for i, when in enumerate(["2024-12-30T10:00:00Z", "2026-11-19T10:00:00Z"]):
        lines.append(
            json.dumps(
                {
                    "id": f"evt_{i}",
                    "audited_at": when,
                    "event_type": "User Login",
                    "actor": {"id": f"usr_{i}", "name": "Olga", "type": "user"},
                }
            )
        )
    path = tmp_path / "years.jsonl"
    path.write_text("\n".join(lines) + "\n")
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table: Any = browser(app).table
        text = "".join(seg.text for seg in table.render_line(2))
        assert "2024-12-30" in text
