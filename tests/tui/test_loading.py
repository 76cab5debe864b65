"""The browser while its source loads: rows appear at once, the status says how far loading
got, and the results are refreshed when it is done."""

from __future__ import annotations

from typing import Any

from audit_tui.query import Query
from audit_tui.sources.file import open_source
from audit_tui.tui.app import AuditApp
from audit_tui.tui.widgets.event_table import EventTable
from audit_tui.tui.widgets.status import StatusBar

from .helpers import EVENTS, FIXED_NOW, browser, settle


class StillLoading:
    """A loaded store that says it is still loading, until the test says otherwise."""

    def __init__(self) -> None:
        self._store = open_source(str(EVENTS))
        self._store.wait(10)
        self.label = "events.jsonl"
        self.loading = True
        self.progress = 0.45

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def line(table: EventTable, y: int) -> str:
    return "".join(s.text for s in table.render_line(y))


async def test_rows_show_while_loading_and_refresh_when_done() -> None:
    store = StillLoading()
    app = AuditApp(lambda: store, Query(), now=lambda: FIXED_NOW, native_clipboard=False)  # type: ignore[arg-type, return-value]
    async with app.run_test(size=(150, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if browser(app).query_one(EventTable).view.count:
                break
        table = browser(app).query_one(EventTable)
        assert table.view.count == 240
        assert "2026-11-20 11:35:00" in line(table, 1)
        status = browser(app).query_one(StatusBar)
        assert status.plain.startswith("240 of 240 events")
        assert "loading 45%" in status.plain
        assert not browser(app).done
        store.loading = False
        await settle(pilot)
        assert browser(app).done
        assert "loading" not in status.plain


async def test_empty_table_says_loading_then_no_match() -> None:
    store = StillLoading()
    app = AuditApp(
        lambda: store,  # type: ignore[arg-type, return-value]
        Query(text="nothing-matches-this"),
        now=lambda: FIXED_NOW,
        native_clipboard=False,
    )
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.pause(0.3)
        table = browser(app).query_one(EventTable)
        assert "Loading events…" in line(table, 2)
        store.loading = False
        await settle(pilot)
        assert "No events match" in line(table, 2)
