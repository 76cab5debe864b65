"""Hostile data: markup, escape sequences and bidi tricks in every field never reach the terminal
and never act; invalid records are skipped and counted."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rich.segment import Segment

from audit_tui.safe import is_clean
from audit_tui.tui.screens.detail import DetailScreen
from audit_tui.tui.widgets.event_table import EventTable
from audit_tui.tui.widgets.filters import FacetList
from audit_tui.tui.widgets.status import StatusBar

from .helpers import HOSTILE, browser, make_app, settle

SIZE = (150, 40)


def table_segments(app: Any) -> list[Segment]:
    table = browser(app).query_one(EventTable)
    segments: list[Segment] = []
    for y in range(table.size.height):
        strip = table.render_line(y)
        assert strip.cell_length == table.scrollable_content_region.width
        segments.extend(strip)
    return segments


async def test_hostile_values_are_escaped_everywhere(tmp_path: Path) -> None:
    # the source name itself is hostile too: it shows in the header and the status line
    evil = tmp_path / "evil\x1b]0;owned\x07[b]name.jsonl"
    shutil.copy(HOSTILE, evil)
    app = make_app(evil)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = browser(app)
        table = screen.query_one(EventTable)
        assert table.view.count == 11

        segments = table_segments(app)
        text = "".join(s.text for s in segments)
        assert all(is_clean(s.text) for s in segments)
        assert "\x1b" not in text
        assert "[bold red]x[/]" in text  # markup shows as the characters it is
        assert "[@click=app.quit]" in text
        assert "\\e]0;pwned title\\x" in text  # escapes are visible
        assert "admin\\u202egnp.exe" in text
        assert "nul\\x00byte" in text
        # nothing in a cell carries an action (no live [@click])
        assert not any(s.style and s.style.meta for s in segments)

        # filter panels
        for facet_list in screen.query(FacetList):
            for i in range(facet_list.option_count):
                prompt = str(facet_list.get_option_at_index(i).prompt)
                assert is_clean(prompt)
        names = [
            str(o.prompt)
            for o in (
                screen.query_one("#facet-workspaces").query_one(FacetList).get_option_at_index(i)
                for i in range(2)
            )
        ]
        assert any(n.startswith("[/]") for n in names)

        # status line, header and notifications
        status = screen.query_one(StatusBar).plain
        assert is_clean(status) and "\\e]0;owned\\x07[b]name.jsonl" in status
        assert "skipped 3 invalid records" in status
        assert is_clean(screen.sub_title) and "\\e]0;owned" in screen.sub_title
        messages = [n.message for n in app._notifications]
        assert any("skipped 3 invalid records: line 4" in m for m in messages)
        assert all(is_clean(m) for m in messages)

        # the whole screen: no ESC byte inside any text
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg and "\u202e" not in svg


async def test_hostile_detail_modal_shows_escaped_json_and_copies_the_original() -> None:
    app = make_app(HOSTILE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = browser(app).query_one(EventTable)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        for index in range(table.view.count):
            shown = str(screen.query_one("#detail-json").render())
            title = str(screen.query_one("#detail-title").render())
            assert all(is_clean(line) for line in shown.split("\n")) and is_clean(title)
            await pilot.press("c")
            original = table.view.store.raw(int(table.view.positions[index])).decode()
            assert app.clipboard == original  # the original JSON, byte for byte
            await pilot.press("right_square_bracket")
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\u202e" not in svg


async def test_clicking_inert_markup_does_nothing() -> None:
    app = make_app(HOSTILE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = browser(app).query_one(EventTable)
        index = next(
            i for i in range(table.view.count) if table.row_at(i).actor_name.startswith("[@click")
        )
        # a click on the row (the actor cell shows "[@click=app.quit]…") opens the details
        await pilot.click(EventTable, offset=(100, index + 1))
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        # and a click on the same text in the Actor filter only ticks it
        actors = browser(app).query_one("#facet-actors").query_one(FacetList)
        option = next(
            i
            for i in range(actors.option_count)
            if "[@click" in str(actors.get_option_at_index(i).prompt)
        )
        actors.scroll_to(y=0, animate=False, immediate=True)
        await pilot.click(FacetList, offset=(8, option))
        await settle(pilot)
        assert app.is_running
        assert app.screen is browser(app)
        assert browser(app).audit_query.actors == {"act_1"}
