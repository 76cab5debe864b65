"""The browser's search box takes the search language; a parse error keeps the last result."""

from __future__ import annotations

from textual.widgets import Input, Label

from audit_tui.query import Query

from .helpers import browser, make_app, settle, type_text
from .test_browser import SIZE, expected, table


async def test_language_in_the_search_box_and_an_error_keeps_the_result() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        search = app.query_one("#search", Input)
        search.value = "terraform OR -terraform"
        await type_text(pilot, "")
        assert table(app).view.count == expected(Query(text="terraform OR -terraform")) == 240
        search.value = "-terraform"
        await type_text(pilot, "")
        n = expected(Query(text="-terraform"))
        assert 0 < n < 240 and table(app).view.count == n
        error = app.query_one("#search-error", Label)
        assert not error.display
        search.value = '-terraform "unclosed'
        await type_text(pilot, "")  # said under the box at once; the result stays
        assert browser(app).audit_query.text == "-terraform"
        assert error.display
        said = str(error.render())
        assert "unbalanced quote" in said and "column 12" in said and "last good" in said
        await pilot.press("enter")
        await settle(pilot)
        assert browser(app).audit_query.text == "-terraform"
        assert table(app).view.count == n
        assert error.display  # still said, and no pop-up on top of it
        assert not any("unbalanced" in x.message for x in app._notifications)
        search.value = '-terraform "closed"'
        await type_text(pilot, "")
        assert not error.display
        assert browser(app).audit_query.text == '-terraform "closed"'


async def test_keys_typed_at_once_after_slash_go_to_the_search_box() -> None:
    """``/invoice`` pasted or typed fast: the focus moves after the queued keys were handed out,
    so without care ``i``, ``v``… reach the table's one-letter keys (``v`` opens the views)."""
    from textual import events

    from audit_tui.tui.screens.browser import BrowserScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table(app).focus()
        await pilot.pause()
        for ch in "/invoice":  # all queued before any is handled
            app.post_message(events.Key("slash" if ch == "/" else ch, ch))
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)  # no dialog opened by a letter
        assert app.query_one("#search", Input).value == "invoice"
        assert browser(app).audit_query.text == "invoice"
        assert table(app).view.count == expected(Query(text="invoice"))
        # later, letters are the table's keys again
        await pilot.press("escape")
        await pilot.pause(0.6)
        table(app).focus()
        await pilot.press("v")
        await pilot.pause()
        assert not isinstance(app.screen, BrowserScreen)
