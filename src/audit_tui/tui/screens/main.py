"""The browser screen: search, time period, filter panels, the event table and the status line.

The screen owns the state: the store, the current :class:`Query`, the :class:`View` of matching
events, the facet counts and the load state. Widgets get them by ``data_bind`` and post messages
when the user asks for something; every store call runs in a thread worker, and a result that
arrives after a newer request is dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Select
from textual.worker import Worker, WorkerState, get_current_worker

from audit_tui.query import PERIODS, Query, QueryError
from audit_tui.safe import clean
from audit_tui.store import Facets, Store, describe_skipped
from audit_tui.tui import keys
from audit_tui.tui.screens.custom_range import CustomRangeScreen
from audit_tui.tui.screens.detail import DetailScreen
from audit_tui.tui.state import LoadState, View
from audit_tui.tui.widgets.event_table import EventTable
from audit_tui.tui.widgets.filters import FacetPanel, FilterSidebar
from audit_tui.tui.widgets.period import CUSTOM, PeriodSelect
from audit_tui.tui.widgets.status import StatusBar

FIRST_PAGE = 200  # rows of a new search shown before its full count is known
DEBOUNCE = 0.1  # seconds of quiet typing before a search runs
COUNT_DELAY = 0.35  # seconds without a key before a new search's full count is computed
POLL = 0.1  # seconds between looks at a loading store (cheap: reads a few attributes)
REFRESH = 1.0  # seconds between re-queries while the store loads
REFRESH_EMPTY = 0.2  # ... while nothing is shown yet (the first rows appear at once)


class MainScreen(Screen[None]):
    """Browse the events of one store."""

    BINDINGS = keys.BROWSER

    audit_query: reactive[Query] = reactive(Query, init=False)
    view: reactive[View] = reactive(View, always_update=True, init=False)
    facets: reactive[Facets | None] = reactive(None, always_update=True, init=False)
    load: reactive[LoadState] = reactive(LoadState, init=False)
    utc: reactive[bool] = reactive(True, init=False)

    def __init__(self, store: Store | None, query: Query) -> None:
        super().__init__()
        self.store = store
        self._initial = query
        self._generation = 0
        self._debounce: Timer | None = None
        self._last_refresh = 0.0
        self._seen_total = -1
        self._announced = False
        self._retired: list[Store] = []
        self._last_key = 0.0
        self._store_turn = threading.Lock()

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with Horizontal(id="topbar"):
            yield Input(self._initial.text, placeholder="Search events…  ( / )", id="search")
            period = self._initial.period
            yield PeriodSelect(period if period in PERIODS else CUSTOM, id="period")
        with Horizontal(id="body"):
            yield FilterSidebar(id="filters").data_bind(
                MainScreen.facets, audit_query=MainScreen.audit_query
            )
            yield EventTable(id="table").data_bind(MainScreen.view, MainScreen.utc)
        yield StatusBar(id="status").data_bind(MainScreen.view, MainScreen.load)
        yield Footer()

    def on_mount(self) -> None:
        self.audit_query = self._initial
        self.set_interval(POLL, self._poll)
        self.table.focus()
        if self.app.size.width < 100:
            self.query_one(FilterSidebar).display = False
        if self.store is not None:
            self._browse(self.store)

    @property
    def done(self) -> bool:
        """True once the store has loaded and its final results were asked for."""
        return self._announced

    @property
    def table(self) -> EventTable:
        return self.query_one(EventTable)

    # -- the store ---------------------------------------------------------------------------

    def _browse(self, store: Store) -> None:
        self.store = store
        self.sub_title = clean(store.label, 80)
        self._seen_total = -1
        self._announced = False
        self.load = LoadState.of(store)
        self.table.loading_data = store.loading
        self._search(self.audit_query, first_page=False)

    def _poll(self) -> None:
        """While the store loads: update the progress and, now and then, the results."""
        store = self.store
        if store is None or self._announced:
            return
        self.load = LoadState.of(store)
        self.table.loading_data = store.loading
        if self.app.screen is not self:
            return  # a dialog shows positions of the current view: keep them valid
        if not store.loading:
            self._announced = True
            self._search(self.audit_query, first_page=False)
            self._announce(store)
            return
        interval = REFRESH if self.view.count else REFRESH_EMPTY
        if (
            store.total != self._seen_total
            and time.monotonic() - self._last_refresh >= interval
            and not any(w.is_running for w in self.workers if w.node is self and w.group == "query")
        ):
            self._search(self.audit_query, first_page=False)

    def _announce(self, store: Store) -> None:
        if store.error:
            self.notify(
                clean(store.error, 300),
                title="Loading stopped",
                severity="error",
                markup=False,
                timeout=10,
            )
        if store.skipped_count:
            self.notify(
                clean(describe_skipped(store.skipped, most=3), 300),
                title="Invalid records",
                severity="warning",
                markup=False,
                timeout=8,
            )

    # -- queries -----------------------------------------------------------------------------

    def watch_audit_query(self, old: Query, new: Query) -> None:
        self._sync_controls(new)
        if self.store is not None:
            self._search(new, first_page=new.text != old.text and bool(new.words))

    def _sync_controls(self, query: Query) -> None:
        search = self.query_one("#search", Input)
        if search.value != query.text and not search.has_focus:
            search.value = query.text
        period = self.query_one(PeriodSelect)
        wanted = query.period if query.period in PERIODS else CUSTOM
        if period.value != wanted:
            period.value = wanted

    def _search(self, query: Query, first_page: bool) -> None:
        self._generation += 1
        self._last_refresh = time.monotonic()
        if self.store is not None:
            self._seen_total = self.store.total
            self._run(self.store, query, self._generation, first_page)

    @work(thread=True, exclusive=True, group="query", exit_on_error=False)
    def _run(self, store: Store, query: Query, generation: int, first_page: bool) -> None:
        worker = get_current_worker()
        now = self.app.now()  # type: ignore[attr-defined]
        if first_page:
            with self._turn(worker) as mine:
                if not mine:
                    return
                first = store.first(query, FIRST_PAGE, now)
            if worker.is_cancelled:
                return
            view = View(store, query, first.positions, first.total, complete=False)
            self.app.call_from_thread(self._show, generation, view, None)
            # While the user is still typing, the next first page matters more than this count
            # (a full count holds the store for a while): wait for a pause in the typing.
            while (wait := self._last_key + COUNT_DELAY - time.monotonic()) > 0:
                if worker.cancelled_event.wait(wait):
                    return
        with self._turn(worker) as mine:
            if not mine:
                return
            result = store.search(query, now)
            if worker.is_cancelled:
                return
            facets = store.facets(query, now)
        if worker.is_cancelled:
            return
        view = View(store, query, result.positions, result.total)
        self.app.call_from_thread(self._show, generation, view, facets)

    @contextmanager
    def _turn(self, worker: Worker[None]) -> Iterator[bool]:
        """One store call at a time: a superseded request gives up its place in the queue
        instead of running a stale query that the newest one would then wait for."""
        while not self._store_turn.acquire(timeout=0.02):
            if worker.is_cancelled:
                yield False
                return
        try:
            yield not worker.is_cancelled
        finally:
            self._store_turn.release()

    def _show(self, generation: int, view: View, facets: Facets | None) -> None:
        if generation != self._generation or view.store is not self.store:
            return  # a newer request is on its way
        self.view = view
        if facets is not None:
            self.facets = facets
        if self._retired:
            self._close_retired()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            what = "Reload" if event.worker.group == "reload" else "Search"
            message = clean(f"{type(error).__name__}: {error}", 300)
            if isinstance(error, QueryError):
                message = clean(str(error), 300)
            self.notify(message, title=f"{what} failed", severity="error", markup=False)

    # -- intent from the widgets -------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        self._last_key = time.monotonic()
        if self._debounce is not None:
            self._debounce.stop()
        value = event.value
        self._debounce = self.set_timer(DEBOUNCE, lambda: self._set_text(value))

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._set_text(event.value)
        self.table.focus()

    def _set_text(self, text: str) -> None:
        if text != self.audit_query.text:
            self.audit_query = self.audit_query.with_(text=text)

    @on(Select.Changed, "#period")
    def _period(self, event: Select.Changed) -> None:
        value = event.value
        if value == CUSTOM or value == self.audit_query.period or not isinstance(value, str):
            return
        self.audit_query = self.audit_query.with_(period=value, since=None, until=None)
        focused = self.focused
        if focused is not None and (focused is event.select or event.select in focused.ancestors):
            self.call_after_refresh(self.table.focus)  # picked: back to the events

    @on(PeriodSelect.CustomRequested)
    def _custom(self) -> None:
        self.action_custom_range()

    @on(FacetPanel.Changed)
    def _facet(self, event: FacetPanel.Changed) -> None:
        self.audit_query = self.audit_query.with_(**{event.facet: event.values})

    @on(EventTable.Opened)
    def _open(self, event: EventTable.Opened) -> None:
        view = self.view
        if view.store is None or not view.count:
            return

        def back(index: int | None) -> None:
            if index is not None and self.view is view:
                self.table.cursor = index

        self.app.push_screen(DetailScreen(view, event.index, utc=self.utc), back)

    # -- actions -----------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    def action_pick_period(self) -> None:
        select = self.query_one(PeriodSelect)
        select.focus()
        select.action_show_overlay()

    def action_custom_range(self) -> None:
        query = self.audit_query

        def apply(times: tuple[str | None, str | None] | None) -> None:
            if times is None:
                self._sync_controls(self.audit_query)
                return
            try:
                self.audit_query = self.audit_query.with_(
                    period=CUSTOM, since=times[0], until=times[1]
                )
            except QueryError as error:
                self.notify(clean(str(error), 300), severity="error", markup=False)

        self.app.push_screen(
            CustomRangeScreen(query.since, query.until, now=self.app.now()),  # type: ignore[attr-defined]
            apply,
        )

    def action_focus_facet(self, facet: str) -> None:
        sidebar = self.query_one(FilterSidebar)
        sidebar.display = True
        sidebar.panel(facet).focus_list()

    def action_toggle_filters(self) -> None:
        sidebar = self.query_one(FilterSidebar)
        sidebar.display = not sidebar.display
        if not sidebar.display and (self.focused is None or sidebar in self.focused.ancestors):
            self.table.focus()

    def action_clear_all(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self.query_one("#search", Input).value = ""
        for panel in self.query(FacetPanel):
            panel.query_one(".narrow", Input).value = ""
        self.audit_query = Query()
        self.notify("Cleared the search, the time period and every filter.", markup=False)

    def action_toggle_utc(self) -> None:
        self.utc = not self.utc

    def action_reload(self) -> None:
        self.notify("Reloading the source…", markup=False, timeout=2)
        self._reload()

    @work(thread=True, exclusive=True, group="reload", exit_on_error=False)
    def _reload(self) -> None:
        store = self.app.open_store()  # type: ignore[attr-defined]
        self.app.call_from_thread(self.use_store, store)

    def use_store(self, store: Store) -> None:
        """Browse ``store`` from now on (the query stays); the old store is closed later."""
        if self.store is not None and self.store is not store:
            self._retired.append(self.store)  # closed once the table no longer reads it
        self._browse(store)

    def _close_retired(self) -> None:
        for store in self._retired:
            try:
                store.close()
            except Exception:  # closing an old source never disturbs the new one
                pass
        self._retired.clear()
