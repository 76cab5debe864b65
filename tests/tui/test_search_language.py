"""The browser's search box takes the search language; a parse error keeps the last result."""

from __future__ import annotations

from textual.widgets import Input

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
        search.value = '-terraform "unclosed'
        await type_text(pilot, "")  # while typing: no complaint, nothing changes
        assert browser(app).audit_query.text == "-terraform"
        assert not any("unbalanced" in x.message for x in app._notifications)
        await pilot.press("enter")
        await settle(pilot)
        assert browser(app).audit_query.text == "-terraform"
        assert table(app).view.count == n
        messages = [notification.message for notification in app._notifications]
        assert any("unbalanced quote" in m and "column 12" in m for m in messages)
