"""Issue 11 in the browser: pivots from a row or the detail view (shift excludes), the JSON
cursor that adds ``path:value``, matches highlighted in cells and JSON with ``n``/``N``, the
marker of a row that matched out of sight, and the search history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import Input

from audit_tui import searchlang
from audit_tui.query import Query
from audit_tui.tui import pivots
from audit_tui.tui.highlight import MARKER
from audit_tui.tui.history import LIMIT, SearchHistory
from audit_tui.tui.screens.detail import DetailScreen

from .helpers import EVENTS, browser, make_app, settle
from .test_browser import SIZE, expected, table


async def _search_is(app: Any, text: str) -> None:
    assert browser(app).audit_query.text == text
    assert app.query_one("#search", Input).value == text
    assert table(app).view.count == expected(Query(text=text))


# -- pivots ------------------------------------------------------------------------------------


async def test_pivots_from_the_table_row_and_shift_excludes() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = table(app).row_at(0)
        assert row is not None
        await pilot.press("u")
        await settle(pilot)
        actor = f'actor:"{row.actor_id}"'
        await _search_is(app, actor)
        assert 0 < table(app).view.count < 240
        await pilot.press("y")  # this event type too: the terms add up
        await settle(pilot)
        both = f'{actor} type:"{row.event_type}"'
        await _search_is(app, both)
        await pilot.press("X")
        await settle(pilot)
        await pilot.press("U")
        await settle(pilot)
        await _search_is(app, f'-actor:"{row.actor_id}"')
        assert table(app).view.count == 240 - expected(Query(text=actor))
        await pilot.press("X")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await _search_is(app, f'resource:"{row.resource_id}"')


async def test_pivot_from_the_detail_view_closes_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        assert isinstance(app.screen, DetailScreen)
        row = app.screen.row
        assert row is not None
        await pilot.press("I")
        await settle(pilot)
        assert not isinstance(app.screen, DetailScreen)
        await _search_is(app, f'-workspace:"{row.workspace_id}"')


async def test_m_shows_the_fifteen_minutes_around_the_event() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = table(app).row_at(3)
        assert row is not None
        await pilot.press("j", "j", "j", "m")
        await settle(pilot)
        query = browser(app).audit_query
        since, until = pivots.around(row.audited_at)
        assert (query.period, query.since, query.until) == ("custom", since, until)
        assert table(app).view.count == expected(query) >= 1
        ids = {table(app).row_at(i).id for i in range(table(app).view.count)}  # type: ignore[union-attr]
        assert row.id in ids
        await pilot.press("backspace")  # back to before the pivot
        await settle(pilot)
        assert browser(app).audit_query.period == "all"


async def test_an_organization_level_event_has_no_workspace_to_pivot_on() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        t = table(app)
        index = next(i for i in range(t.view.count) if not t.row_at(i).workspace_id)  # type: ignore[union-attr]
        t.cursor = index
        await pilot.press("i")
        await settle(pilot)
        assert browser(app).audit_query.text == ""
        assert any("no workspace" in n.message for n in app._notifications)


@given(st.text(min_size=1).filter(lambda v: v.strip()), st.sampled_from(searchlang.FIELDS))
def test_a_pivot_term_reads_back_as_the_same_value(value: str, name: str) -> None:
    for negate in (False, True):
        parsed = searchlang.parse(searchlang.field_term(name, value, negate))
        item = parsed.items[0]  # type: ignore[union-attr]
        if negate:
            assert isinstance(item, searchlang.Not)
            item = item.item
        assert item == searchlang.Field(name, value)


# -- the JSON cursor ---------------------------------------------------------------------------


async def test_enter_on_a_value_adds_path_value_and_minus_its_negation() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        target = next(i for i, leaf in enumerate(screen.leaves) if leaf.keys == ("actor", "name"))
        await pilot.press(*["down"] * (target + 1))
        assert screen.cursor == target
        name = screen.leaves[target].value
        assert isinstance(name, str)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, DetailScreen)
        await _search_is(app, f'actor.name:"{name}"')
        await pilot.press("enter")  # again, on the same first row: the IP, negated
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        ip = next(i for i, leaf in enumerate(screen.leaves) if leaf.keys == ("metadata", "ip"))
        await pilot.press(*["down"] * (ip + 1), "minus")
        await settle(pilot)
        value = screen.leaves[ip].value
        await _search_is(app, f'actor.name:"{name}" -metadata.ip:"{value}"')


# -- matches you can see ----------------------------------------------------------------------


def _line_text(app: Any, index: int) -> tuple[str, list[str]]:
    """A table line's text and the pieces drawn in the match style."""
    strip = table(app)._line(index, 150, False)
    text = "".join(s.text for s in strip)
    lit = [
        s.text
        for s in strip
        if s.style is not None and s.style.bgcolor is not None and s.style.bgcolor.name == "yellow"
    ]
    return text, lit


async def test_matches_are_highlighted_in_cells_and_a_marker_says_out_of_sight() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        browser(app).add_search_term("globex")
        await settle(pilot)
        text, lit = _line_text(app, 0)
        assert lit and all(piece.lower() == "globex" for piece in lit)
        assert text.startswith(" ")  # seen in the row: no marker
        # an IP is only in the metadata: every row gets the marker, nothing is lit
        ip = orjson.loads(EVENTS.read_bytes().splitlines()[5])["metadata"]["ip"]
        browser(app).add_search_term("X")  # replaced just below
        app.query_one("#search", Input).value = ""
        await pilot.press("X")
        await settle(pilot)
        browser(app).add_search_term(ip)
        await settle(pilot)
        assert table(app).view.count >= 1
        text, lit = _line_text(app, 0)
        assert text.startswith(MARKER) and not lit
        # a field term lights its own column only
        await pilot.press("X")
        await settle(pilot)
        browser(app).add_search_term('org:"acme"')
        await settle(pilot)
        text, lit = _line_text(app, 0)
        assert lit == ["Acme"]


async def test_n_and_shift_n_walk_the_matches_in_the_detail_view() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        browser(app).add_search_term("production OR globex")
        await settle(pilot)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert len(screen.matches) >= 1
        lines = screen.text.split("\n")
        for line, a, b in screen.matches:
            assert lines[line][a:b].lower() in ("production", "globex")
        assert "match" in str(screen.query_one("#detail-title").render())
        await pilot.press("n")
        assert screen.match == 0
        await pilot.press("N")
        assert screen.match == len(screen.matches) - 1
        await pilot.press("n")
        assert screen.match == 0


# -- the search history ------------------------------------------------------------------------


async def test_up_and_down_walk_the_history_across_sessions() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for text in ("terraform", "globex", "terraform"):
            await pilot.press("slash")
            box = app.query_one("#search", Input)
            box.value = text
            await pilot.press("enter")
            await settle(pilot)
    assert SearchHistory().entries == ["globex", "terraform"]  # once each, newest last
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        box = app.query_one("#search", Input)
        box.value = "draft"
        await pilot.press("up")
        assert box.value == "terraform"
        await pilot.press("up")
        assert box.value == "globex"
        await pilot.press("up")  # the oldest: stays
        assert box.value == "globex"
        await pilot.press("down", "down")
        assert box.value == "draft"  # back to what was typed
        await pilot.press("up", "enter")
        await settle(pilot)
        assert browser(app).audit_query.text == "terraform"


def test_the_history_keeps_the_last_hundred_and_never_a_token(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("AUDIT_TUI_TOKEN", "s3cr3t-token-value")
    history = SearchHistory(tmp_path / "h.json")
    for i in range(150):
        history.add(f"search {i}")
    history.add("actor:s3cr3t-token-value")
    again = SearchHistory(tmp_path / "h.json")
    assert len(again.entries) == LIMIT
    assert again.entries[0] == "search 50" and again.entries[-1] == "search 149"
    assert b"s3cr3t" not in (tmp_path / "h.json").read_bytes()
    (tmp_path / "h.json").write_text("{not json")
    assert SearchHistory(tmp_path / "h.json").entries == []
