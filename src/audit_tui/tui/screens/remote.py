"""The browser screen of an audit API: pages loaded as the user reads, filters sent to the server.

The screen makes its :class:`~audit_tui.remote.client.RemoteClient` and
:class:`~audit_tui.remote.pager.RemotePager` in the app's event loop and calls them from async
workers. A new query restarts paging (``pager.restart``); a page that arrives for an older query
is dropped (the pager returns None). The first page shows as soon as it arrives and the next one
is prefetched while the user reads; when the cursor nears the end of what is loaded, the table
asks for more. Only :class:`~audit_tui.remote.errors.RemoteError` is caught: a refused token
shows :class:`~audit_tui.tui.screens.auth.AuthErrorScreen`, a refused cursor offers ``r``, and
anything else keeps what was loaded (moving on retries the page).
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np
from textual import on, work
from textual.timer import Timer
from textual.worker import Worker

from audit_tui.export import ExportPlan, strip_url_credentials
from audit_tui.export_job import Exported, ExportJob, Progress
from audit_tui.query import FACETS, Query
from audit_tui.remote.client import RemoteClient, describe_undecodable
from audit_tui.remote.errors import AuthError, CursorError, RemoteError
from audit_tui.remote.exporting import export_remote
from audit_tui.remote.follow import RemoteFollower
from audit_tui.remote.pager import RemotePager, loaded_facets
from audit_tui.remote.settings import RemoteSettings, plain_http_warning
from audit_tui.safe import clean
from audit_tui.store import Facets
from audit_tui.tui.screens.auth import AuthErrorScreen
from audit_tui.tui.screens.browser import BrowserScreen
from audit_tui.tui.services import app_of
from audit_tui.tui.state import FollowState, LoadState, RemoteView
from audit_tui.tui.widgets.event_table import EventTable
from audit_tui.tui.widgets.timeline import Histogram


class RemoteScreen(BrowserScreen):
    """Browse the events an audit API gives for the current query."""

    DEBOUNCE = 0.25  # every search is a request: wait for a pause in the typing
    # the server counts the matches per time bucket (its optional timeline endpoint); a server
    # without one answers 404 and the strip is hidden (this instance's TIMELINE turns False)
    TIMELINE = True

    def __init__(
        self,
        settings: RemoteSettings,
        query: Query,
        *,
        now: datetime | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(query)
        self.settings = settings
        self.fixed_now = now
        self.label = label or strip_url_credentials(settings.url)
        self.client: RemoteClient | None = None
        self.pager: RemotePager | None = None
        self._told_skipped = 0  # undecodable events already told of, for the current query
        # following (F): what polls the server, the events that arrived (oldest first)
        self.follower: RemoteFollower | None = None
        self._follow_wanted = False
        self._follow_timer: Timer | None = None
        self._follow_due = 0.0  # monotonic time of the next poll
        self._follow_failing = False
        self._fresh_raws: list[bytes] = []
        self._fresh_events: list[dict[str, Any]] = []

    # -- the client ------------------------------------------------------------------------

    def start(self) -> None:
        self.sub_title = clean(self.label, 80)
        self.load = LoadState(label=self.label, loading=False)
        self.view = RemoteView(query=self.audit_query)
        warning = plain_http_warning(self.settings.url, self.settings.token is not None)
        if warning:
            self.notify(clean(warning, 300), severity="warning", markup=False, timeout=30)
        try:
            self.client = RemoteClient.from_settings(self.settings, on_wait=self._waiting)
        except RemoteError as exc:
            self.notify(clean(str(exc), 300), title="Remote source", severity="error", markup=False)
            return
        self.pager = RemotePager(self.client, self.audit_query, now=self.fixed_now)
        self._restart(self.audit_query)
        if getattr(self.app, "initial_follow", False):
            self.action_toggle_follow()

    async def on_unmount(self) -> None:
        if self.pager is not None:
            await self.pager.aclose()
        if self.client is not None:
            await self.client.aclose()

    # -- pages -------------------------------------------------------------------------------

    def query_changed(self, old: Query, new: Query) -> None:
        if self.pager is not None:
            self._restart(new)

    @work(exclusive=True, group="remote", exit_on_error=False)
    async def _restart(self, query: Query) -> None:
        pager = self.pager
        assert pager is not None
        view = self.view
        if isinstance(view, RemoteView) and view.started:
            self.view = view.busy()
        self.follower = None  # a new query is followed from its own first page
        self._fresh_raws, self._fresh_events = [], []
        try:
            page = await pager.restart(query)
        except RemoteError as exc:
            self._failed(exc)
            return
        if page is None:
            return  # a newer query took over
        self._publish()
        pager.prefetch()  # the next page loads while the user reads this one
        self._load_facets()
        self._load_timeline()
        if self._follow_wanted:
            self._start_follow()

    @on(EventTable.NearEnd)
    def _near_end(self, event: EventTable.NearEnd) -> None:
        pager, view = self.pager, self.view
        if pager is None or not isinstance(view, RemoteView) or view.raws is not pager.raws:
            return  # nothing yet, or a new query's first page is on its way
        if event.count != view.count:
            return  # asked before the last page was shown
        if event.auto and pager.error is not None:
            return  # after a failure, only a move of the user's tries again
        if any(w.is_running for w in self.workers if w.node is self and w.group == "more"):
            return
        if len(pager.raws) > view.loaded:  # the prefetched page is already here
            self._grown()
            return
        self._more()

    @work(exclusive=True, group="more", exit_on_error=False)
    async def _more(self) -> None:
        pager = self.pager
        assert pager is not None
        generation = pager.generation
        pager.prefetch()
        try:
            page = await pager.next_page()
        except RemoteError as exc:
            if generation == pager.generation:
                self._failed(exc)
            return
        if page is None or generation != pager.generation:
            return
        self._grown()

    def _grown(self) -> None:
        """Show the rows loaded so far, and prefetch the next page."""
        assert self.pager is not None
        self._publish()
        self.pager.prefetch()
        if self.pager.facets_endpoint is False:
            self._count_loaded()  # counted over the shown events: count the new ones too

    def _waiting(self, message: str) -> None:
        """The client waits before another attempt (a 429's Retry-After): say so."""
        self.notify(clean(message, 300), title="Remote source", markup=False, timeout=10)

    def _publish(self) -> None:
        pager = self.pager
        assert pager is not None
        if len(pager.skipped) < self._told_skipped:
            self._told_skipped = 0  # a new query
        if len(pager.skipped) > self._told_skipped:
            self.notify(
                clean(describe_undecodable(pager.skipped[self._told_skipped :]), 300),
                title="Remote source",
                severity="warning",
                markup=False,
                timeout=10,
            )
            self._told_skipped = len(pager.skipped)
        error = None if pager.error is None else str(pager.error)
        self.view = RemoteView(
            query=pager.query,
            raws=pager.raws,
            events=pager.events,
            loaded=len(pager.raws),
            total=pager.total,
            more=pager.has_more,
            now=pager.now,
            started=True,
            error=error,
            fresh_raws=self._fresh_raws,
            fresh_events=self._fresh_events,
            fresh=len(self._fresh_raws),
        )
        self.load = LoadState(label=self.label, loading=False, error=error)

    @work(exclusive=True, group="facets", exit_on_error=False)
    async def _load_facets(self) -> None:
        pager = self.pager
        assert pager is not None
        if pager.facets_endpoint is False:  # known: no need to ask again
            self._count_loaded()
            return
        generation = pager.generation
        try:
            results = await asyncio.gather(*(pager.facets(name) for name in FACETS))
        except RemoteError as exc:
            if generation == pager.generation:
                self._failed(exc, "Filter counts")
            return
        if generation != pager.generation:
            return
        if not all(r.exact for r in results):
            self._count_loaded()
            return
        self.facets = Facets(*(r.values for r in results))
        self.partial_facets = False

    # -- the timeline --------------------------------------------------------------------------

    def timeline_wanted(self) -> None:
        view = self.view
        if self.pager is not None and self.TIMELINE and isinstance(view, RemoteView):
            if view.started:
                self._load_timeline()

    @work(exclusive=True, group="timeline", exit_on_error=False)
    async def _load_timeline(self) -> None:
        """The server's counts per bucket under the current query, at the strip's width."""
        pager = self.pager
        assert pager is not None
        if not self.TIMELINE:
            return
        generation = pager.generation
        try:
            counts = await pager.timeline(self.timeline_slots)
        except RemoteError as exc:
            if generation == pager.generation:
                self._failed(exc, "Timeline")
            return
        if generation != pager.generation:
            return  # a newer query's timeline is on its way
        if counts is None:
            self._no_timeline()
        elif counts.start is None:
            self.histogram = None  # nothing to count: no events, no window
        else:
            self.histogram = Histogram(
                counts.start, counts.step, np.asarray(counts.counts, np.int64), end=counts.end
            )

    def _no_timeline(self) -> None:
        """The server has no timeline endpoint: hide the strip (``h`` says why)."""
        self.TIMELINE = False
        timeline = self.timeline
        if timeline.has_focus:
            self.table.focus()
        timeline.display = False
        self.histogram = None

    def _count_loaded(self) -> None:
        """Facet counts over the events shown (the server has no facets endpoint)."""
        view = self.view
        if not isinstance(view, RemoteView):
            return
        shown = view.shown_events()
        self.facets = Facets(
            *(loaded_facets(shown, name, view.query.facet(name)) for name in FACETS)
        )
        self.partial_facets = True

    # -- following ------------------------------------------------------------------------------

    def action_toggle_follow(self) -> None:
        """``F``: poll the server for events newer than the newest shown (docs/api.md,
        "Following"), or stop."""
        if self._follow_wanted:
            self._stop_follow()
            self.notify("Stopped following the server.", markup=False, timeout=3)
            return
        self._follow_wanted = True
        self.follow = FollowState(starting=True)
        if self._follow_timer is None:
            self._follow_timer = self.set_interval(0.25, self.guarded(self._follow_tick, "follow"))
        view = self.view
        if isinstance(view, RemoteView) and view.started and not view.searching:
            self._start_follow()

    def _start_follow(self) -> None:
        pager, client = self.pager, self.client
        if pager is None or client is None:
            return
        self.follower = RemoteFollower(
            client, pager.query, known=pager.events, known_raws=pager.raws
        )
        self._follow_due = time.monotonic() + self.follower.delay
        self.follow = FollowState(on=True)

    def _stop_follow(self) -> None:
        self._follow_wanted = False
        self.follower = None
        if self._follow_timer is not None:
            self._follow_timer.stop()
            self._follow_timer = None
        self.follow = FollowState()

    def _follow_tick(self) -> None:
        if self.follower is None or time.monotonic() < self._follow_due:
            return
        if any(w.is_running for w in self.workers if w.node is self and w.group == "follow"):
            return
        self._poll(self.follower)

    @work(group="follow", exit_on_error=False)
    async def _poll(self, follower: RemoteFollower) -> None:
        try:
            polled = await follower.poll()
        except AuthError as exc:
            self._stop_follow()
            self._failed(exc)
            return
        except RemoteError as exc:
            if follower is self.follower and not self._follow_failing:
                self.notify(
                    clean(f"{exc}; trying again in {follower.delay:.0f} s", 300),
                    title="Following",
                    severity="warning",
                    markup=False,
                )
            self._follow_failing = True
            self._follow_due = time.monotonic() + follower.delay
            return
        self._follow_failing = False
        self._follow_due = time.monotonic() + follower.delay
        if follower is not self.follower or not polled.raws:
            return  # stopped, or a new query, meanwhile; or nothing new
        self._fresh_raws.extend(reversed(polled.raws))  # oldest first
        self._fresh_events.extend(reversed(polled.records))
        self.follow = replace(self.follow, arrived=self.follow.arrived + len(polled.raws))
        if polled.skipped:
            self.notify(
                clean(describe_undecodable(polled.skipped), 300),
                title="Remote source",
                severity="warning",
                markup=False,
            )
        self._publish()
        if self.pager is not None and self.pager.facets_endpoint is not False:
            self._load_facets()  # the server counts the new events too
        else:
            self._count_loaded()

    # -- failures ------------------------------------------------------------------------------

    def _failed(self, exc: RemoteError, what: str = "Remote source") -> None:
        """Say what went wrong (the messages name the status and the server's words, never
        the token); keep what was loaded."""
        message = clean(str(exc), 300)
        if self.pager is not None:
            self._publish()
        if isinstance(exc, AuthError):
            if not isinstance(self.app.screen, AuthErrorScreen):
                screen = AuthErrorScreen(
                    message, self.settings.token_origin, self.settings.token is not None
                )
                self.app.push_screen(screen, self._after_auth)
            return
        if isinstance(exc, CursorError):
            message += ". Press r to start again from the first page."
            self.notify(message, title="Paging failed", severity="error", markup=False, timeout=20)
            return
        self.notify(message, title=what, severity="error", markup=False, timeout=10)

    def worker_failed(self, worker: Worker[Any], error: BaseException, message: str) -> None:
        """Something other than a :class:`RemoteError` broke a worker (the app showed and
        logged it): the message replaces "connecting…" (or "searching…"), what was loaded stays,
        and ``r`` starts again from the first page."""
        view = self.view
        if not isinstance(view, RemoteView) or not view.started:
            self.view = RemoteView(query=self.audit_query, started=True, error=message)
        elif worker.group == "remote":
            self.view = replace(view, searching=False, error=message)  # keeps what was loaded
        self.load = LoadState(label=self.label, loading=False, error=message)

    def _after_auth(self, retry: bool | None) -> None:
        if retry:
            self.action_reload()

    # -- actions -------------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.pager is None:
            return
        self.notify("Loading from the first page again…", markup=False, timeout=2)
        self._restart(self.audit_query)

    def export_job(self) -> ExportJob | None:
        view = self.view
        if self.pager is None or not isinstance(view, RemoteView) or not view.started:
            self.notify("Nothing to export yet: the first page is on its way.", markup=False)
            return None
        settings = self.settings

        def run(
            plan: ExportPlan, progress: Progress, cancel: threading.Event, force: bool
        ) -> Exported:
            return export_remote(settings, plan, progress, cancel, force)

        now = view.now or app_of(self).now()
        count, note = view.export_count()
        return ExportJob(view.query, now, settings.url, count, run, note)
