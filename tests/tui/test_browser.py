"""Pilot tests of the browser: each interaction, asserting what changed on screen and in state."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.widgets import Input, SelectionList

from audit_tui.query import Query
from audit_tui.sources.file import open_source
from audit_tui.tui.screens.custom_range import CustomRangeScreen
from audit_tui.tui.screens.detail import DetailScreen
from audit_tui.tui.screens.help import HelpScreen
from audit_tui.tui.widgets.event_table import EventTable
from audit_tui.tui.widgets.filters import FacetList, FacetPanel
from audit_tui.tui.widgets.status import StatusBar

from .helpers import EVENTS, FIXED_NOW, browser, make_app, settle, type_text

SIZE = (150, 45)


def expected(query: Query) -> int:
    """The count the data layer gives for ``query`` on the fixture (the oracle)."""
    store = open_source(str(EVENTS))
    try:
        store.wait(10)
        return store.search(query, FIXED_NOW).count
    finally:
        store.close()


def status(app: Any) -> str:
    return browser(app).query_one(StatusBar).plain


def table(app: Any) -> EventTable:
    return browser(app).query_one(EventTable)


def first_row_id(app: Any) -> str:
    row = table(app).row_at(0)
    assert row is not None
    return row.id


async def test_start_shows_newest_first_and_counts() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app).view.count == 240
        assert first_row_id(app) == "evt_00239"
        assert status(app).startswith("240 of 240 events")
        assert "events.jsonl" in status(app)
        assert app.focused is table(app)


async def test_cli_filters_are_applied_at_start() -> None:
    query = Query(event_types=frozenset({"Secret Rotated"}), period="30d")
    app = make_app(query=query)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        n = expected(query)
        assert 0 < n < 240
        assert table(app).view.count == n
        assert status(app).startswith(f"{n} of 240 events")
        assert "type: Secret Rotated" in status(app) and "30d" in status(app)
        assert app.query_one("#period").value == "30d"


async def test_search_filters_as_you_type_and_escape_returns_to_table() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        search = app.query_one("#search", Input)
        assert app.focused is search
        await type_text(pilot, "terraform")
        n = expected(Query(text="terraform"))
        assert 0 < n < 240
        assert table(app).view.count == n
        assert status(app).startswith(f"{n} of 240 events")
        assert '"terraform"' in status(app)
        await pilot.press("escape")
        assert app.focused is table(app)
        assert search.value == "terraform"


async def test_superseded_search_is_dropped() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "o", "l", "g", "a")
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await type_text(pilot, "mei")
        assert browser(app).audit_query.text == "mei"
        assert table(app).view.query.text == "mei"
        assert table(app).view.count == expected(Query(text="mei"))


async def test_time_period_dropdown() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.press("down", "down", "down", "enter")  # All time -> Last 7 days
        await settle(pilot)
        assert browser(app).audit_query.period == "7d"
        assert app.focused is table(app)  # a pick returns to the events
        n = expected(Query(period="7d"))
        assert table(app).view.count == n
        assert status(app).startswith(f"{n} of 240 events")


async def test_custom_range_validates_and_applies() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t", *["down"] * 6, "enter")  # Custom range…
        await pilot.pause()
        assert isinstance(app.screen, CustomRangeScreen)
        await pilot.press(*"nonsense")
        note = app.screen.query_one("#range-since-note")
        assert note.has_class("-error")
        await pilot.press("enter")
        assert isinstance(app.screen, CustomRangeScreen)  # nothing applied while invalid
        assert browser(app).audit_query.period == "all"
        since = app.screen.query_one("#range-since", Input)
        since.value = "10d"
        await pilot.pause()
        assert not note.has_class("-error")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, CustomRangeScreen)
        query = browser(app).audit_query
        assert (query.period, query.since, query.until) == ("custom", "10d", None)
        assert table(app).view.count == expected(Query(since="10d"))
        assert app.query_one("#period").value == "custom"


async def test_custom_range_rejects_inverted_range_and_cancels() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("T")
        screen = app.screen
        assert isinstance(screen, CustomRangeScreen)
        screen.query_one("#range-since", Input).value = "2026-11-10"
        screen.query_one("#range-until", Input).value = "2026-11-01"
        await pilot.pause()
        assert screen.query_one("#range-until-note").has_class("-error")
        await pilot.press("enter")
        assert app.screen is screen
        await pilot.press("escape")
        assert not isinstance(app.screen, CustomRangeScreen)
        assert browser(app).audit_query == Query()


async def test_facet_tick_updates_table_and_counts_then_clear() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        actors = browser(app).query_one("#facet-actors", FacetPanel)
        assert app.focused is actors.options
        top = actors.values[0]
        await pilot.press("space")
        await settle(pilot)
        assert browser(app).audit_query.actors == {top.value}
        assert table(app).view.count == top.count
        assert status(app).startswith(f"{top.count} of 240 events")
        # the other facets now count within that actor
        types = browser(app).query_one("#facet-event_types", FacetPanel)
        assert sum(v.count for v in types.values) == top.count
        assert actors.border_subtitle.startswith("1 selected")
        await pilot.press("x")
        await settle(pilot)
        assert browser(app).audit_query.actors == frozenset()
        assert table(app).view.count == 240


async def test_facets_combine_and_clear_all() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e", "space", "down", "space")
        await settle(pilot)
        await pilot.press("w", "space")
        await settle(pilot)
        query = browser(app).audit_query
        assert len(query.event_types) == 2 and len(query.workspaces) == 1
        assert table(app).view.count == expected(query)
        await pilot.press("X")
        await settle(pilot)
        assert browser(app).audit_query == Query()
        assert table(app).view.count == 240


async def test_type_to_narrow_a_facet() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = browser(app).query_one("#facet-actors", FacetPanel)
        await pilot.press("a", "n")  # to the Actor list, then to its narrowing input
        assert app.focused is panel.query_one(".narrow", Input)
        await pilot.press(*"terra")
        await pilot.pause()
        options = panel.query_one(FacetList)
        assert options.option_count == 1
        assert options.get_option_at_index(0).value == "key_tf"
        await pilot.press("enter", "space")
        await settle(pilot)
        assert browser(app).audit_query.actors == {"key_tf"}


async def test_table_keyboard_navigation() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        t = table(app)
        await pilot.press("j", "j", "down")
        assert t.cursor == 3
        await pilot.press("k")
        assert t.cursor == 2
        await pilot.press("G")
        assert t.cursor == 239
        assert t.scroll_offset.y > 0
        await pilot.press("g")
        assert t.cursor == 0 and t.scroll_offset.y == 0
        await pilot.press("pagedown")
        assert t.cursor == t.page
        await pilot.press("end")
        assert t.cursor == 239
        await pilot.press("home")
        assert t.cursor == 0


async def test_toggle_filters_sidebar() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sidebar = app.query_one("#filters")
        assert sidebar.display
        await pilot.press("f")
        assert not sidebar.display
        await pilot.press("a")  # going to a filter shows the panels again
        assert sidebar.display
        assert isinstance(app.focused, SelectionList)


async def test_enter_opens_detail_with_original_json_and_copy() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        raw = table(app).view.store.raw(int(table(app).view.positions[1]))
        assert screen.raw == raw
        shown = str(screen.query_one("#detail-json").render())
        assert '"id": "evt_00238"' in shown
        await pilot.press("c")
        assert app.clipboard == raw.decode()
        # n / p step through the view without closing
        await pilot.press("right_square_bracket")
        assert screen.index == 2 and app.screen is screen
        assert '"id": "evt_00237"' in str(screen.query_one("#detail-json").render())
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert screen.index == 0
        # keys of the screen below do not leak through
        await pilot.press("a", "t", "slash", "f")
        assert app.screen is screen
        assert app.query_one("#filters").display
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)
        assert table(app).cursor == 0


async def test_click_on_row_opens_detail_and_click_outside_closes() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        t = table(app)
        await pilot.click(EventTable, offset=(30, 3))  # header is line 0: row index 2
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.index == 2
        assert t.cursor == 2
        await pilot.click(offset=(0, 0))
        assert not isinstance(app.screen, DetailScreen)


async def test_utc_local_toggle() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        t = table(app)
        header = "".join(s.text for s in t.render_line(0))
        assert "Audited At (UTC)" in header
        await pilot.press("z")
        assert not t.utc
        header = "".join(s.text for s in t.render_line(0))
        assert "Audited At (local)" in header
        await pilot.press("z")
        assert t.utc


async def test_reload_keeps_query() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "scheduler")
        await pilot.press("escape")
        old = browser(app).store
        await pilot.press("r")
        await settle(pilot)
        assert browser(app).store is not old
        assert browser(app).audit_query.text == "scheduler"
        assert table(app).view.store is browser(app).store
        assert table(app).view.count == expected(Query(text="scheduler"))


async def test_help_screen_lists_the_same_keys() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause()
        console = Console(file=io.StringIO(), width=200)
        console.print(app.screen._table())  # all of it, scrolled or not
        text = console.file.getvalue()  # type: ignore[attr-defined]
        for words in (
            "Copy JSON",
            "Custom range",
            "Clear all",
            "UTC/local",
            "Reload",
            "This actor",
        ):
            assert words in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_the_bindings() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert any(t.startswith("Search") for t in titles)
        assert any(t.startswith("Custom range") for t in titles)
        assert any(t.startswith("Details") for t in titles)
        command = next(c for c in app.get_system_commands(app.screen) if c.title.startswith("UTC"))
        await command.callback()
        assert not table(app).utc


async def test_failing_worker_notifies_and_keeps_the_data() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = browser(app).store

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("disk on fire")

        store.search = broken  # type: ignore[method-assign]
        store.first = broken  # type: ignore[method-assign]
        await pilot.press("slash")
        await type_text(pilot, "x")
        assert app.is_running
        assert table(app).view.count == 240  # the data already shown stays
        messages = [n.message for n in app._notifications]
        assert any("disk on fire" in m for m in messages)


async def test_narrow_terminal_hides_the_sidebar_and_shortens_times() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.query_one("#filters").display
        line = "".join(s.text for s in table(app).render_line(1))
        assert len(line) <= 80
        assert line.lstrip().startswith("11-20 11:35:00")
