"""What every browser screen shares: search, time period, filter panels, the event table, the
status line, the detail dialog and the export dialog.

The screen owns the state: the current :class:`Query`, the view of matching events
(:class:`~audit_tui.tui.state.EventList`), the facet counts and the load state. Widgets get
them by ``data_bind`` and post messages when the user asks for something. Where the events
come from is the subclass's business: :class:`~audit_tui.tui.screens.main.MainScreen` browses
a local store, :class:`~audit_tui.tui.screens.remote.RemoteScreen` an audit API. A subclass
runs the query in :meth:`query_changed`, reloads in :meth:`action_reload` and says what an
export writes in :meth:`export_job`.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, Label, Select

from audit_tui.model import Row, iso_ms
from audit_tui.query import PERIODS, Query, QueryError
from audit_tui.safe import clean
from audit_tui.store import Facets
from audit_tui.tui import keys, pivots
from audit_tui.tui.failures import Guarded, WorkerFailures
from audit_tui.tui.history import SearchHistory
from audit_tui.tui.services import app_of
from audit_tui.tui.state import EventList, FollowState, LoadState, View
from audit_tui.tui.tablelayout import DEFAULT_COLUMNS
from audit_tui.tui.widgets.event_table import EventTable
from audit_tui.tui.widgets.filters import FacetPanel, FilterSidebar
from audit_tui.tui.widgets.footer import KeyFooter
from audit_tui.tui.widgets.period import CUSTOM, PeriodSelect
from audit_tui.tui.widgets.search import SearchBox
from audit_tui.tui.widgets.status import StatusBar
from audit_tui.tui.widgets.timeline import Histogram, Timeline
from audit_tui.views import View as SavedView
from audit_tui.views import ViewError, command_line, delete_view, load_views, save_view

if TYPE_CHECKING:
    from audit_tui.export_job import Exported, ExportJob


class BrowserScreen(Guarded, WorkerFailures, Screen[None]):
    """Browse a list of events; subclasses say where the events come from (and how they
    recover when one of their workers fails: :meth:`worker_failed`)."""

    BINDINGS = keys.BROWSER
    DEBOUNCE = 0.06  # seconds of quiet typing before a search runs (a first page costs ms)
    OVERLAY_BELOW = 120  # narrower screens show the filter panels over the table, on demand

    audit_query: reactive[Query] = reactive(Query, init=False)
    view: reactive[EventList] = reactive(View, always_update=True, init=False)
    facets: reactive[Facets | None] = reactive(None, always_update=True, init=False)
    partial_facets: reactive[bool] = reactive(False, init=False)
    load: reactive[LoadState] = reactive(LoadState, init=False)
    utc: reactive[bool] = reactive(True, init=False)
    histogram: reactive[Histogram | None] = reactive(None, always_update=True, init=False)
    # the table's order: (column key, reversed), None for newest first (kept across filters)
    sort: reactive[tuple[str, bool] | None] = reactive(None, init=False)
    SORTS = False  # the subclass can sort its view (a local store can)
    # the table's columns after the time, in order (c chooses them)
    columns: reactive[tuple[str, ...]] = reactive(DEFAULT_COLUMNS, init=False)
    TIMELINE = False  # the subclass can count events per time bucket (a local store can)
    # following the source as it grows (F): shown on the status line
    follow: reactive[FollowState] = reactive(FollowState, init=False)

    def __init__(self, query: Query) -> None:
        super().__init__()
        self._initial = query
        self._debounce: Timer | None = None
        self._last_key = 0.0
        self._search_asked = 0.0  # when / last asked for the search box
        self._narrow: bool | None = None
        self._zooms: list[Query] = []  # the queries before each timeline zoom, oldest first
        self.timeline_slots = 100  # buckets the timeline holds (its width)

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with Horizontal(id="topbar"):
            yield SearchBox(
                self._initial.text,
                SearchHistory(),
                placeholder="Search events…  ( / )   ↑ ↓ history",
                id="search",
            )
            period = self._initial.period
            yield PeriodSelect(period if period in PERIODS else CUSTOM, id="period")
        yield Label("", id="search-error", markup=False)
        with Horizontal(id="body"):
            yield FilterSidebar(id="filters").data_bind(
                BrowserScreen.facets,
                BrowserScreen.partial_facets,
                audit_query=BrowserScreen.audit_query,
            )
            with Vertical(id="main"):
                yield Timeline(id="timeline").data_bind(BrowserScreen.histogram)
                yield EventTable(id="table").data_bind(
                    BrowserScreen.view,
                    BrowserScreen.utc,
                    BrowserScreen.sort,
                    BrowserScreen.columns,
                )
        yield StatusBar(id="status").data_bind(
            BrowserScreen.view, BrowserScreen.load, BrowserScreen.facets, BrowserScreen.follow
        )
        yield KeyFooter()

    def on_mount(self) -> None:
        # (Textual calls every class's on_mount: subclasses use start() instead.)
        app = app_of(self)
        self.utc = getattr(app, "initial_utc", True)
        self.columns = getattr(app, "initial_columns", None) or DEFAULT_COLUMNS
        if self.SORTS:
            self.sort = getattr(app, "initial_sort", None)
        self.audit_query = self._initial
        self.table.focus()
        self._fit_width(self.app.size.width)
        self.start()

    def start(self) -> None:
        """Begin browsing (the subclass knows how); the query is set and the table focused."""

    @property
    def table(self) -> EventTable:
        return self.query_one(EventTable)

    @property
    def overlay(self) -> bool:
        """The filter panels show over the table (a narrow screen) rather than beside it."""
        return bool(self._narrow)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_width(event.size.width)

    def _fit_width(self, width: int) -> None:
        """Below :attr:`OVERLAY_BELOW` columns the panels become an overlay, hidden until asked
        for; crossing back shows them beside the table again."""
        narrow = width < self.OVERLAY_BELOW
        if narrow == self._narrow:
            return
        self._narrow = narrow
        sidebar = self.query_one(FilterSidebar)
        sidebar.set_class(narrow, "-overlay")
        sidebar.display = not narrow
        self.query_one(Timeline).display = self.TIMELINE and not narrow
        if narrow and self.focused is not None and sidebar in self.focused.ancestors:
            self.table.focus()

    # -- queries -----------------------------------------------------------------------------

    def watch_audit_query(self, old: Query, new: Query) -> None:
        self._sync_controls(new)
        self.query_changed(old, new)

    def query_changed(self, old: Query, new: Query) -> None:
        """Run ``new`` (the subclass knows how)."""

    def _sync_controls(self, query: Query) -> None:
        search = self.query_one("#search", Input)
        if search.value != query.text and not search.has_focus:
            search.value = query.text
        period = self.query_one(PeriodSelect)
        wanted = query.period if query.period in PERIODS else CUSTOM
        if period.value != wanted:
            period.value = wanted

    # -- intent from the widgets -------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        self._last_key = time.monotonic()
        if self._debounce is not None:
            self._debounce.stop()
        value = event.value
        self._debounce = self.set_timer(
            self.DEBOUNCE, self.guarded(lambda: self._set_text(value, typing=True), "search")
        )

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._set_text(event.value)
        self._remember()
        self.table.focus()

    def _remember(self) -> None:
        """Keep the search text in the history when it is the query shown."""
        box = self.query_one("#search", SearchBox)
        if box.value.strip() and box.value == self.audit_query.text:
            box.remember()

    def _set_text(self, text: str, typing: bool = False) -> None:
        if text != self.audit_query.text:
            try:
                self.audit_query = self.audit_query.with_(text=text)
            except QueryError as error:  # keep the last good result, say why under the box
                self.search_error(str(error))
                return
        self.search_error(None)

    def search_error(self, message: str | None) -> None:
        """Say under the search box why the text is not a query (None: it is one now)."""
        label = self.query_one("#search-error", Label)
        label.update(
            clean(message or "", 300)
            + ("  (the results are the last good search's)" if message else "")
        )
        label.display = message is not None

    def add_search_term(self, term: str) -> None:
        """Add ``term`` (the search language) to the search: a pivot or a value of the JSON."""
        text = f"{self.audit_query.text.strip()} {term}".strip()
        search = self.query_one("#search", Input)
        search.value = text
        self._set_text(text)
        self._remember()
        self.table.focus()

    def apply_pivot(self, kind: str, row: Row, exclude: bool) -> None:
        """Filter on (or out) this row's actor, resource, workspace or type; ``time``: the 15
        minutes around it (a custom range)."""
        if kind == "time":
            since, until = pivots.around(row.audited_at)
            self._zooms.append(self.audit_query)
            self.audit_query = self.audit_query.with_(period=CUSTOM, since=since, until=until)
            self.table.focus()
            return
        term = pivots.term(kind, row, exclude)
        if term is None:
            self.notify(f"This event has no {pivots.NAMES[kind]}.", markup=False)
            return
        self.add_search_term(term)

    @on(EventTable.PivotRequested)
    def _pivot(self, event: EventTable.PivotRequested) -> None:
        row = self.table.row_at(event.index)
        if row is not None:
            self.apply_pivot(event.kind, row, event.exclude)

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
        if not view.ready or not view.count:
            return

        def back(index: int | None) -> None:
            if index is not None and self.view.same_list(view):
                self.table.cursor = index

        from audit_tui.tui.screens.detail import DetailScreen

        self.app.push_screen(
            DetailScreen(
                view,
                event.index,
                utc=self.utc,
                pivot=self.apply_pivot,
                add_term=self.add_search_term,
            ),
            back,
        )

    # -- actions -----------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    TYPE_AHEAD = 0.5  # seconds after "/" in which typed characters belong to the search

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Once the search box has the focus it takes its own keys: the type-ahead window
        closes (``/word`` Enter Esc ``a`` at once: the ``a`` is the Actor key again)."""
        if event.widget.id == "search":
            self._search_asked = 0.0

    def on_key(self, event: events.Key) -> None:
        """``/invoice`` typed (or pasted) at once: the focus moves to the search box only after
        the keys already queued were handed out, so the characters after ``/`` reach the table
        (and its one-letter keys). Those that arrive just after ``/`` go to the search box."""
        if not event.is_printable or event.character is None:
            return
        search = self.query_one("#search", Input)
        if search.has_focus or isinstance(self.focused, Input):
            return
        if event.character == "/":  # its binding runs later, after the keys queued behind it
            self._search_asked = time.monotonic()
            return
        if time.monotonic() - self._search_asked > self.TYPE_AHEAD:
            return
        event.stop()
        event.prevent_default()
        search.insert_text_at_cursor(event.character)

    def action_focus_table(self) -> None:
        if self.query_one("#search", SearchBox).has_focus:
            self._remember()
        sidebar = self.query_one(FilterSidebar)
        if self.overlay and sidebar.display:
            sidebar.display = False  # escape hides the overlay
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

        from audit_tui.tui.screens.custom_range import CustomRangeScreen

        self.app.push_screen(
            CustomRangeScreen(query.since, query.until, now=app_of(self).now()),
            apply,
        )

    # -- the timeline --------------------------------------------------------------------------

    @property
    def timeline(self) -> Timeline:
        return self.query_one(Timeline)

    def timeline_wanted(self) -> None:
        """Count the events per bucket again (the subclass knows how)."""

    @on(Timeline.Resized)
    def _timeline_resized(self, event: Timeline.Resized) -> None:
        if event.slots != self.timeline_slots:
            self.timeline_slots = event.slots
            self.timeline_wanted()

    @on(Timeline.Zoom)
    def _zoom(self, event: Timeline.Zoom) -> None:
        self._zooms.append(self.audit_query)
        self.audit_query = self.audit_query.with_(
            period=CUSTOM, since=iso_ms(event.since), until=iso_ms(event.until)
        )
        self.table.focus()

    def action_zoom_out(self) -> None:
        if not self._zooms:
            self.notify("Not zoomed in: the timeline's enter zooms to a bucket.", markup=False)
            return
        self.audit_query = self._zooms.pop()

    def action_toggle_timeline(self) -> None:
        if not self.TIMELINE:
            self.notify("This source has no timeline.", markup=False)
            return
        timeline = self.timeline
        timeline.display = not timeline.display
        if not timeline.display and timeline.has_focus:
            self.table.focus()

    def action_timeline(self, delta: int) -> None:
        if not self.TIMELINE:
            return
        timeline = self.timeline
        timeline.display = True
        timeline.focus()
        timeline.move(delta)

    def action_anchor(self) -> None:
        view = self.view
        anchored = view.anchored() if isinstance(view, View) else None
        if anchored is None:
            self.notify(
                "The period already shows events (A helps when it shows none).", markup=False
            )
            return
        self.audit_query = anchored

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
        self.search_error(None)
        for panel in self.query(FacetPanel):
            panel.to_top()
        self.audit_query = Query()
        self.notify("Cleared the search, the time period and every filter.", markup=False)

    # -- saved views and the command that reopens the view ----------------------------------

    def current_view(self, name: str = "") -> SavedView:
        app = app_of(self)
        source = app.source
        if isinstance(source, tuple):  # several paths (never a URL): each from any folder
            source = tuple(s if s == "-" else os.path.abspath(s) for s in source)
        elif source and source != "-" and os.path.exists(source):
            source = os.path.abspath(source)  # the same file from any folder
        view = SavedView.of(name, source, self.audit_query, self.sort, self.utc, app.input_format)
        if self.columns != DEFAULT_COLUMNS:
            view = replace(view, columns=self.columns)
        return view

    def action_copy_command(self) -> None:
        command = command_line(self.current_view())
        app_of(self).copy_text(command)
        self.notify(
            clean(command, 300), title="Copied the command that reopens this view", markup=False
        )

    def action_save_view(self) -> None:
        def save(name: str | None) -> None:
            if name is None:
                return
            try:
                path = save_view(self.current_view(name))
            except ViewError as error:
                self.notify(clean(str(error), 300), severity="error", markup=False)
                return
            self.notify(clean(f"Saved the view {name!r} in {path}.", 300), markup=False)

        from audit_tui.tui.screens.views import SaveViewScreen

        self.app.push_screen(SaveViewScreen(), save)

    def action_list_views(self) -> None:
        try:
            views = load_views()
        except ViewError as error:
            self.notify(clean(str(error), 300), severity="error", markup=False, timeout=10)
            return

        def open_view(view: SavedView | None) -> None:
            if view is not None:
                self.open_view(view)

        from audit_tui.tui.screens.views import ViewsScreen

        self.app.push_screen(ViewsScreen(views, on_delete=delete_view), open_view)

    def open_view(self, view: SavedView) -> None:
        """Show ``view`` here when it is of this source; otherwise say how to open it."""
        here = self.current_view()
        if (view.source, view.sources) != (here.source, here.sources):
            command = command_line(view)
            app_of(self).copy_text(command)
            self.notify(
                clean(f"That view is of another source: run {command} (copied).", 400),
                markup=False,
                timeout=12,
            )
            return
        try:
            query = view.query()
        except QueryError as error:
            self.notify(clean(str(error), 300), severity="error", markup=False)
            return
        self.query_one("#search", Input).value = query.text
        self.utc = view.utc
        self.columns = view.columns or DEFAULT_COLUMNS
        if self.SORTS:
            self.sort = view.sort
        self.audit_query = query
        self.notify(clean(f"Opened the view {view.name!r}.", 200), markup=False, timeout=3)

    # -- sorting -------------------------------------------------------------------------------

    SORT_COLUMNS = ("audited_at", "event_type", "resource", "organization", "workspace", "actor")

    def action_sort_column(self, delta: int) -> None:
        """``>``/``<``: sort by the next column to the right/left (from the time, newest first)."""
        if not self._can_sort():
            return
        current = self.sort[0] if self.sort is not None else "audited_at"
        i = (self.SORT_COLUMNS.index(current) + delta) % len(self.SORT_COLUMNS)
        self._sort_by(self.SORT_COLUMNS[i], False)

    def action_sort_reverse(self) -> None:
        """``~``: the same column, the other way round."""
        if not self._can_sort():
            return
        column, reverse = self.sort if self.sort is not None else ("audited_at", False)
        self._sort_by(column, not reverse)

    @on(EventTable.SortRequested)
    def _sort_clicked(self, event: EventTable.SortRequested) -> None:
        if not self._can_sort():
            return
        current = self.sort if self.sort is not None else ("audited_at", False)
        reverse = not current[1] if current[0] == event.column else False
        self._sort_by(event.column, reverse)

    def _can_sort(self) -> bool:
        if not self.SORTS:
            self.notify("This source is shown in the server's order.", markup=False)
        return self.SORTS

    def _sort_by(self, column: str, reverse: bool) -> None:
        self.sort = None if (column, reverse) == ("audited_at", False) else (column, reverse)
        names = dict(
            zip(
                self.SORT_COLUMNS,
                ("Audited At", "Event Type", "Resource", "Organization", "Workspace", "Actor"),
                strict=True,
            )
        )
        if column == "audited_at":
            order = "oldest first" if reverse else "newest first"
        else:
            order = "Z to A" if reverse else "A to Z"
        self.notify(f"Sorted by {names[column]}, {order}.", markup=False, timeout=3)

    def watch_sort(self) -> None:
        self.sort_changed()

    def sort_changed(self) -> None:
        """Order the view again (the subclass knows how)."""

    def action_choose_columns(self) -> None:
        def chosen(columns: tuple[str, ...] | None) -> None:
            if columns is not None:
                self.columns = columns

        from audit_tui.tui.screens.columns import ColumnsScreen

        self.app.push_screen(ColumnsScreen(self.columns), chosen)

    def action_toggle_utc(self) -> None:
        self.utc = not self.utc

    # -- following the source ------------------------------------------------------------------

    def action_toggle_follow(self) -> None:
        """``F``: follow the source as it grows, or stop (the subclass knows how)."""
        self.notify("This source cannot be followed.", markup=False)

    @on(EventTable.NewAbove)
    def _new_above(self, event: EventTable.NewAbove) -> None:
        self.follow = replace(self.follow, above=event.count)

    def action_reload(self) -> None:
        """Read the source again (the subclass knows how)."""

    # -- export --------------------------------------------------------------------------------

    def export_job(self) -> ExportJob | None:
        """What exporting the current view takes; None (after telling the user) when there is
        nothing to export yet."""
        return None

    def action_export(self) -> None:
        job = self.export_job()
        if job is None:
            return
        app = app_of(self)
        from audit_tui.tui.screens.export import ExportScreen

        in_page = self.app.is_web  # audit-tui web: the user is not on this host
        screen = ExportScreen(job, now=app.now(), folder=app.export_folder, names_only=in_page)

        def done(exported: Exported | None) -> None:
            if exported is None:
                return
            message = exported.message()
            if in_page:
                message += self._download(exported)
            self.notify(message, title="Exported", markup=False, timeout=12)

        self.app.push_screen(screen, done)

    def _download(self, exported: Exported) -> str:
        """In a web page: send the file (and its manifest) to the browser as downloads; what
        to add to the message."""
        result = exported.result
        files = [p for p in (result.path, result.manifest_path) if p is not None]
        for path in files:
            self.app.deliver_binary(path, save_filename=path.name)
        return " (on the server); the browser downloads it" + (
            " and its manifest" if len(files) > 1 else ""
        )
