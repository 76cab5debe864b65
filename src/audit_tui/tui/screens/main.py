"""The browser screen of a local source: a store that may still be loading.

Every store call runs in a thread worker, and a result that arrives after a newer request is
dropped. While the store loads, the results are refreshed now and then; when it is done, the
final results are asked for once more. The layout and the user's intents are shared with the
remote browser (:class:`~audit_tui.tui.screens.browser.BrowserScreen`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from audit_tui.query import Query, QueryError
from audit_tui.safe import clean
from audit_tui.sources.file import SourceError
from audit_tui.sources.follow import Arrival, Follower, FollowError
from audit_tui.store import Facets, SortError, Store, describe_skipped, time_buckets
from audit_tui.tui.screens.browser import BrowserScreen
from audit_tui.tui.services import app_of
from audit_tui.tui.state import FollowState, LoadState, View
from audit_tui.tui.widgets.timeline import Histogram

if TYPE_CHECKING:
    from audit_tui.export import ExportPlan as Plan
    from audit_tui.export_job import Exported, ExportJob, Progress

FOLLOW_POLL = 0.2  # seconds between looks at a followed source
FOLLOW_REFRESH = 0.3  # at most this often the view is computed again while events arrive
FIRST_PAGE = 200  # rows of a new search shown before its full count is known
COUNT_DELAY = 0.06  # seconds without a key before a new search's full count is computed (a
# keystroke comes every ~0.15 s while typing; a count that starts between two waits for its end:
# ~0.13 s at 1M events right after loading)
COUNT_DELAY_QUICK = 0.02  # ... once the text index is settled (a full count takes ~50 ms at 1M)
POLL = 0.1  # seconds between looks at a loading store (cheap: reads a few attributes)
REFRESH = 1.0  # seconds between re-queries while the store loads
REFRESH_EMPTY = 0.2  # ... while nothing is shown yet (the first rows appear at once)


class MainScreen(BrowserScreen):
    """Browse the events of one store."""

    TIMELINE = True

    def __init__(self, store: Store | None, query: Query) -> None:
        super().__init__(query)
        self.store = store
        self._generation = 0
        self._last_refresh = 0.0
        self._seen_total = -1
        self._announced = False
        self._retired: list[Store] = []
        self._store_turn = threading.Lock()
        self.follower: Follower | None = None
        self._follow_timer: Timer | None = None
        self._grown = False  # events arrived that the view does not show yet
        self._follow_wanted = False  # F (or --follow) before the store had loaded
        self._follow_lock = threading.Lock()  # one poll at a time, and never with its close

    def start(self) -> None:
        self.set_interval(POLL, self.guarded(self._poll, "poll"))
        if self.store is not None:
            self._browse(self.store)
        if getattr(self.app, "initial_follow", False):
            self._want_follow()

    @property
    def done(self) -> bool:
        """True once the store has loaded and its final results were asked for."""
        return self._announced

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
            if self._follow_wanted:
                self._start_follow(store)
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
        if store.file_report.skipped:
            self.notify(
                clean(store.file_report.summary(most=3), 300),
                title="Files not read",
                severity="warning",
                markup=False,
                timeout=8,
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

    SORTS = True

    def query_changed(self, old: Query, new: Query) -> None:
        if self.store is not None:
            first = new.text != old.text and bool(new.words) and self.sort is None
            self._search(new, first_page=first)

    def sort_changed(self) -> None:
        if self.store is not None:
            self._search(self.audit_query, first_page=False)

    def _search(self, query: Query, first_page: bool) -> None:
        self._grown = False
        self._generation += 1
        self._last_refresh = time.monotonic()
        if self.store is not None:
            self._seen_total = self.store.total
            self._run(self.store, query, self._generation, first_page)

    @work(thread=True, exclusive=True, group="query", exit_on_error=False)
    def _run(self, store: Store, query: Query, generation: int, first_page: bool) -> None:
        worker = get_current_worker()
        now = app_of(self).now()
        if first_page:
            with self._turn(worker) as mine:
                if not mine:
                    return
                first = store.first(query, FIRST_PAGE, now)
                span, longest = store.time_span(), store.longest_event_type()
            if worker.is_cancelled:
                return
            view = View(
                store,
                query,
                first.positions,
                first.total,
                complete=False,
                now=now,
                source_span=span,
                longest_type=longest,
                events=first.events,
            )
            self.app.call_from_thread(self._show, generation, view, None)
            # While the user is still typing, the next first page matters more than this count
            # (a full count holds the store for a while): wait for a pause in the typing.
            delay = COUNT_DELAY_QUICK if store.text_settled else COUNT_DELAY
            while (wait := self._last_key + delay - time.monotonic()) > 0:
                if worker.cancelled_event.wait(wait):
                    return
        with self._turn(worker) as mine:
            if not mine:
                return
            try:
                # events that arrive meanwhile wait: the positions passed on stay valid
                with store.steady():
                    result = store.search(query, now)
                    if worker.is_cancelled:
                        return
                    positions = result.positions
                    sort = self.sort
                    if sort is not None:
                        try:
                            positions = store.sort_positions(positions, sort[0], sort[1])
                        except SortError as error:  # too many matches to read: newest first
                            self.app.call_from_thread(
                                self.notify,
                                clean(str(error), 300),
                                severity="warning",
                                markup=False,
                            )
                    events = store.events_at(positions)
                    facets = store.facets(query, now)
                    span, longest = store.time_span(), store.longest_event_type()
                    histogram = self._histogram(store, query, now, span)
            except QueryError as error:  # the user's range: said as it is, nothing to log
                message = clean(str(error), 300)
                self.app.call_from_thread(
                    self.notify, message, title="Search failed", severity="error", markup=False
                )
                return
        if worker.is_cancelled:
            return
        view = View(
            store,
            query,
            positions,
            result.total,
            now=now,
            source_span=span,
            longest_type=longest,
            events=events,
        )
        self.app.call_from_thread(self._show, generation, view, facets, histogram)

    def _histogram(
        self, store: Store, query: Query, now: datetime, span: tuple[int, int] | None
    ) -> Histogram | None:
        """The matches per bucket over the query's time range (the source's, for all time)."""
        window = query.window(now)
        since = window.since if window.since is not None else (span[0] if span else None)
        until = window.until if window.until is not None else (span[1] + 1 if span else None)
        if since is None or until is None:
            return None
        start, step, buckets = time_buckets(since, until, self.timeline_slots)
        counts = store.histogram(query, start, step, buckets, now)
        return Histogram(start, step, counts, end=until)

    def timeline_wanted(self) -> None:
        if self.store is not None and self.view.ready:
            self._count_buckets(self.store, self.audit_query, self._generation)

    @work(thread=True, exclusive=True, group="timeline", exit_on_error=False)
    def _count_buckets(self, store: Store, query: Query, generation: int) -> None:
        worker = get_current_worker()
        now = app_of(self).now()
        with self._turn(worker) as mine:
            if not mine:
                return
            histogram = self._histogram(store, query, now, store.time_span())
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_histogram, generation, histogram)

    def _show_histogram(self, generation: int, histogram: Histogram | None) -> None:
        if generation == self._generation:
            self.histogram = histogram

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

    def _show(
        self,
        generation: int,
        view: View,
        facets: Facets | None,
        histogram: Histogram | None = None,
    ) -> None:
        if generation != self._generation or view.store is not self.store:
            return  # a newer request is on its way
        old = self.view
        if view.grew_from(old):
            self.follow = replace(self.follow, arrived=self.follow.arrived + view.count - old.count)
        elif not view.same_list(old):
            self.follow = replace(self.follow, arrived=0)  # a new view: counted from here
        self.view = view
        if facets is not None:
            self.facets = facets
            self.histogram = histogram
        if self._retired:
            self._close_retired()

    def worker_failed(self, worker: Worker[Any], error: BaseException, message: str) -> None:
        """A search or a reload failed (the app showed and logged why): the status line says
        so instead of "searching…" or "loading", and the next query or ``r`` tries again.
        Following that failed stops (F starts it again)."""
        if worker.group in ("follow", "follow-start"):
            self._stop_follow()
            return
        self.load = replace(LoadState.of(self.store), loading=False, error=message)
        self.table.loading_data = False

    def open_failed(self, message: str) -> None:
        """The app could not open the source (``message`` says why): stop showing "loading"."""
        self.load = LoadState(loading=False, error=message)
        self.table.loading_data = False

    # -- actions -----------------------------------------------------------------------------

    def export_job(self) -> ExportJob | None:
        from audit_tui.export import export
        from audit_tui.export_job import Exported, ExportJob, run_report

        view = self.view
        store = view.store if isinstance(view, View) else None
        if store is None:
            self.notify("Nothing to export yet: the source is still opening.", markup=False)
            return None
        app = app_of(self)
        source = app.source
        spec = store.source if source is None else source

        def run(plan: Plan, progress: Progress, cancel: threading.Event, force: bool) -> Exported:
            def step(done: int, total: int) -> None:
                progress("Writing", done, total)

            return Exported(export(store, plan, progress=step, cancel=cancel, force=force))

        now = view.now or app.now()
        count, note = view.export_count()
        return ExportJob(view.query, now, spec, count, run, note, report=run_report(store))

    def action_reload(self) -> None:
        self.notify("Reloading the source…", markup=False, timeout=2)
        self._reload()

    @work(thread=True, exclusive=True, group="reload", exit_on_error=False)
    def _reload(self) -> None:
        try:
            store = app_of(self).open_store()
        except SourceError as error:
            self.app.call_from_thread(
                self.notify, clean(str(error), 300), severity="warning", markup=False
            )
            return
        self.app.call_from_thread(self.use_store, store)

    def use_store(self, store: Store) -> None:
        """Browse ``store`` from now on (the query stays); the old store is closed later. A
        followed source is followed again once the new store has loaded."""
        if self.store is not None and self.store is not store:
            self._retired.append(self.store)  # closed once the table no longer reads it
            if self.follower is not None:
                self._stop_follow()
                self._want_follow()
        self._browse(store)

    # -- following the source ------------------------------------------------------------------

    def action_toggle_follow(self) -> None:
        if self.follower is not None or self._follow_wanted:
            self._stop_follow()
            self.notify("Stopped following the source.", markup=False, timeout=3)
        else:
            self._want_follow()

    def _want_follow(self) -> None:
        """Follow the source: now when it has loaded, else once it has."""
        self._follow_wanted = True
        self.follow = FollowState(starting=True)
        store = self.store
        if store is not None and self._announced:
            self._start_follow(store)

    @work(thread=True, exclusive=True, group="follow-start", exit_on_error=False)
    def _start_follow(self, store: Store) -> None:
        """Set up the follower (a gzip file is decompressed up to where it was loaded)."""
        try:
            follower = app_of(self).follower_for(store)
        except FollowError as error:
            self.app.call_from_thread(self._follow_refused, str(error))
            return
        self.app.call_from_thread(self._following, store, follower)

    def _follow_refused(self, message: str) -> None:
        self._follow_wanted = False
        self.follow = FollowState()
        self.notify(clean(message, 300), title="Cannot follow", severity="warning", markup=False)

    def _following(self, store: Store, follower: Follower) -> None:
        if store is not self.store or not self._follow_wanted:
            follower.close()  # reloaded or stopped meanwhile
            return
        self.follower = follower
        self.follow = FollowState(on=True)
        self._follow_timer = self.set_interval(
            FOLLOW_POLL, self.guarded(self._follow_tick, "follow")
        )

    def _stop_follow(self) -> None:
        self._follow_wanted = False
        if self._follow_timer is not None:
            self._follow_timer.stop()
            self._follow_timer = None
        follower, self.follower = self.follower, None
        if follower is not None:
            self._close_follower(follower)
        self.follow = replace(FollowState(), ended=self.follow.ended)

    @work(thread=True, group="follow-close", exit_on_error=False)
    def _close_follower(self, follower: Follower) -> None:
        with self._follow_lock:  # after the poll that may be running
            follower.close()

    def _follow_tick(self) -> None:
        """Look for new events (in a worker), and show those that arrived (a new query, at
        most every :data:`FOLLOW_REFRESH` seconds, never while one runs or a dialog is up)."""
        follower = self.follower
        if follower is None:
            return
        if not self._busy("follow"):
            self._follow_poll(follower)
        self._show_arrivals()

    def _busy(self, group: str) -> bool:
        return any(w.group == group and w.is_running for w in self.workers if w.node is self)

    def _show_arrivals(self) -> None:
        """Compute the view again for the events that arrived (not while a query runs or a
        dialog is up, and at most every :data:`FOLLOW_REFRESH` seconds)."""
        if (
            self._grown
            and not self._busy("query")
            and self.app.screen is self
            and time.monotonic() - self._last_refresh >= FOLLOW_REFRESH
        ):
            self._search(self.audit_query, first_page=False)

    @work(thread=True, group="follow", exit_on_error=False)
    def _follow_poll(self, follower: Follower) -> None:
        try:
            with self._follow_lock:
                if follower is not self.follower:
                    return  # stopped meanwhile (and closed, or about to be)
                arrival = follower.poll()
        except FollowError as error:
            self.app.call_from_thread(self._follow_failed, follower, str(error))
            return
        if arrival.events or arrival.notes or arrival.ended:
            self.app.call_from_thread(self._arrived, follower, arrival)

    def _arrived(self, follower: Follower, arrival: Arrival) -> None:
        if follower is not self.follower:
            return
        for note in arrival.notes:
            self.notify(clean(note, 300), title="Following", markup=False, timeout=8)
        if arrival.events or arrival.skipped:
            self._grown = True
            self.load = replace(self.load, skipped=self.load.skipped + arrival.skipped)
            self._show_arrivals()  # at once, not at the next tick
        if arrival.ended:
            self._stop_follow()
            self.follow = replace(self.follow, ended=True)

    def _follow_failed(self, follower: Follower, message: str) -> None:
        if follower is self.follower:
            self._stop_follow()
            self.notify(
                clean(message, 300), title="Following stopped", severity="error", markup=False
            )

    def _close_retired(self) -> None:
        for store in self._retired:
            try:
                store.close()
            except Exception:  # closing an old source never disturbs the new one
                pass
        self._retired.clear()
