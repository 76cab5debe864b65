"""Browse a remote source page by page: what the browser holds of an audit API.

A :class:`RemotePager` belongs to one :class:`~audit_tui.query.Query` at a time. It loads pages
only when asked (``first_page``, ``next_page``, ``prefetch``), keeps what it has loaded in
``raws`` (each event's JSON as the server sent it) and ``events`` (the same, parsed), and knows
``has_more`` and, when the server says, ``total``. A new query restarts paging from the first
page: the filters go to the server, a cursor is never reused across queries, and a page that
arrives for a superseded query is dropped.

A failure keeps what was loaded: the error is raised to the caller *and* kept in ``error``;
calling ``next_page`` again retries the same page.

Everything here is async, for the browser's async workers; ``SyncRemotePager`` in
:mod:`audit_tui.remote.sync` wraps it for thread workers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit_tui.facets import describe, fold, selection_names
from audit_tui.model import InvalidRecord, event_type, party
from audit_tui.query import FACETS, Query, utcnow
from audit_tui.remote.client import (
    FACET_PARAMS,
    EmptyPages,
    Page,
    RemoteClient,
    TimelineCounts,
    query_params,
)
from audit_tui.remote.errors import RemoteError
from audit_tui.sources.formats import normalise
from audit_tui.store import FacetValue

_BY_PARAM = {param: facet for facet, param in FACET_PARAMS.items()}


@dataclass(frozen=True)
class RemoteFacets:
    """One facet's values with counts, and where the counts come from: ``"server"`` (the
    facets endpoint: every match on the server, under the other filters) or ``"loaded"`` (no
    facets endpoint: only the events loaded so far, so counts are partial)."""

    facet: str
    values: list[FacetValue]
    source: str

    @property
    def exact(self) -> bool:
        return self.source == "server"


def facet_name(field: str) -> str:
    """The core's facet name (``actors``) for either spelling (``actor`` or ``actors``)."""
    name = _BY_PARAM.get(field, field)
    if name not in FACETS:
        raise ValueError(f"unknown facet {field!r}: use one of {', '.join(FACETS)}")
    return name


def _entry(facet: str, record: dict[str, Any]) -> tuple[str, str, str, set[str]] | None:
    """(value, label, kind, the folded selection values that match) of one event, by the same
    rules as a file's facets (:mod:`audit_tui.facets`); None for an event without a type."""
    key: Any
    if facet == "event_types":
        try:
            key = event_type(record)
        except InvalidRecord:
            return None
    else:
        key = party(record.get("actor" if facet == "actors" else "workspace"))
    return (*describe(facet, key), selection_names(facet, key))


def loaded_facets(
    records: list[dict[str, Any]], facet: str, selected: frozenset[str]
) -> list[FacetValue]:
    """One facet's values over ``records``, each with the number of them selecting it would
    keep (an actor value matches ids, emails and names), most frequent first."""
    matches: Counter[str] = Counter()
    entries: dict[str, tuple[str, str, str]] = {}
    for record in records:
        entry = _entry(facet, normalise(record))
        if entry is None:
            continue
        value, label, kind, names = entry
        matches.update(names)
        entries.setdefault(fold(value), (value, label, kind))
    sel = {fold(v) for v in selected}
    values = [
        FacetValue(value, label, matches[norm], kind)
        for norm, (value, label, kind) in entries.items()
        if matches[norm] > 0 or norm in sel
    ]
    values.sort(key=lambda f: (-f.count, f.label.lower()))
    return values


class RemotePager:
    """The pages of one query on a :class:`RemoteClient`, loaded on demand."""

    def __init__(
        self,
        client: RemoteClient,
        query: Query | None = None,
        *,
        page_size: int | None = None,
        now: datetime | None = None,
    ) -> None:
        self.client = client
        self.query = query or Query()
        self.page_size = page_size or client.page_size
        self._fixed_now = now
        self.generation = 0
        self._inflight: asyncio.Task[Page | None] | None = None
        self.facets_endpoint: bool | None = None  # None: not asked yet; False: 404
        self.timeline_endpoint: bool | None = None  # likewise
        self._reset()

    # -- state -------------------------------------------------------------------------------

    def _reset(self) -> None:
        self.generation += 1
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
        self._inflight = None
        self.now = self._fixed_now or utcnow()  # periods resolve once per query
        self.params = query_params(self.query, self.now)
        self.raws: list[bytes] = []
        self.events: list[dict[str, Any]] = []
        self.next_ref: str | None = None
        self.has_more = True  # until the first page says otherwise
        self.started = False
        self.total: int | None = None
        self.pages = 0
        # events of the pages loaded that could not be decoded, and why (each page's own
        # reasons, "event 3 of the page: …", with the page's number in front)
        self.skipped: list[str] = []
        self._empty = EmptyPages(self.client.max_empty_pages)
        self.error: RemoteError | None = None
        self._facets: dict[str, RemoteFacets] = {}

    def set_query(self, query: Query) -> bool:
        """Adopt ``query``; a different query drops everything loaded (True), the same one
        keeps it (False). Call ``first_page`` afterwards."""
        if query == self.query and self.started:
            return False
        self.query = query
        self._reset()
        return True

    async def restart(self, query: Query | None = None) -> Page | None:
        """Start over (with ``query`` if given) and load the first page."""
        if query is not None:
            self.query = query
        return await self.first_page()

    @property
    def loading(self) -> bool:
        return self._inflight is not None and not self._inflight.done()

    @property
    def count_loaded(self) -> int:
        return len(self.raws)

    # -- pages -------------------------------------------------------------------------------

    async def first_page(self) -> Page | None:
        """Drop what was loaded and load the first page of the current query."""
        self._reset()
        self.started = True
        self._inflight = self._spawn(None)
        return await self._await(self._inflight)

    async def next_page(self) -> Page | None:
        """The next page (the prefetched one if under way); None when there is none or when
        the query changed while it loaded. Raises the client's error (``error`` keeps it)."""
        if not self.started:
            return await self.first_page()
        if self._inflight is None:
            if not self.has_more:
                return None
            self._inflight = self._spawn(self.next_ref)
        return await self._await(self._inflight)

    def prefetch(self) -> None:
        """Start loading the next page in the background (no-op if loading or at the end)."""
        if self.started and self._inflight is None and self.has_more and self.error is None:
            self._inflight = self._spawn(self.next_ref)

    def _spawn(self, next_ref: str | None) -> asyncio.Task[Page | None]:
        task = asyncio.ensure_future(self._load(self.generation, next_ref))
        # a prefetch nobody awaits must not log "exception was never retrieved"
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return task

    async def _await(self, task: asyncio.Task[Page | None]) -> Page | None:
        try:
            # shielded: a cancelled caller (a superseded worker) does not kill a shared fetch
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled() and not _current_cancelling():
                return None  # the query changed under us: the page is stale
            raise

    async def _load(self, generation: int, next_ref: str | None) -> Page | None:
        try:
            page = await self.client.fetch_page(self.params, next_ref, self.page_size)
        except RemoteError as exc:
            if generation == self.generation:
                self.error = exc
                self._inflight = None
            raise
        if generation != self.generation:
            return None
        if page.has_more and page.next == next_ref:
            self.error = _repeated()
            self._inflight = None
            raise self.error
        try:
            self._empty.check(page)
        except RemoteError as exc:
            self.error = exc
            self.has_more = False  # stop asking: what was loaded stays
            self._inflight = None
            raise
        self.raws.extend(page.raws)
        self.events.extend(page.records)
        self.next_ref = page.next
        self.has_more = page.has_more
        if page.total is not None:
            self.total = page.total
        elif not page.has_more:
            self.total = len(self.raws)  # paged to the end: now we know
        self.pages += 1
        self.skipped += [f"page {self.pages}, {why}" for why in page.skipped]
        self.error = None
        self._inflight = None
        return page

    # -- facets ------------------------------------------------------------------------------

    async def facets(self, field: str) -> RemoteFacets:
        """One facet's values and counts: from the server's facets endpoint when it has one,
        else counted over the events loaded so far (``source == "loaded"``)."""
        facet = facet_name(field)
        cached = self._facets.get(facet)
        if cached is not None:
            return cached
        generation = self.generation
        selected = self.query.facet(facet)
        if self.facets_endpoint is not False:
            counts = await self.client.facets(facet, self.params)
            if counts is None:
                self.facets_endpoint = False
            else:
                self.facets_endpoint = True
                values = [FacetValue(c.value, c.label, c.count, c.kind) for c in counts]
                have = {v.value.lower() for v in values}
                values += [FacetValue(s, s, 0) for s in sorted(selected) if s.lower() not in have]
                result = RemoteFacets(facet, values, "server")
                if generation == self.generation:
                    self._facets[facet] = result
                return result
        return RemoteFacets(facet, loaded_facets(self.events, facet, selected), "loaded")

    # -- the timeline --------------------------------------------------------------------------

    async def timeline(self, buckets: int) -> TimelineCounts | None:
        """The server's matches per time bucket for the current query (at most ``buckets``);
        None when it has no timeline endpoint (then it is not asked again)."""
        if self.timeline_endpoint is False:
            return None
        counts = await self.client.timeline(self.params, buckets)
        self.timeline_endpoint = counts is not None
        return counts

    async def aclose(self) -> None:
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
            with contextlib.suppress(asyncio.CancelledError, RemoteError):
                await self._inflight
        self._inflight = None


def _repeated() -> RemoteError:
    from audit_tui.remote.errors import PayloadError

    return PayloadError("the server gave the same `next` cursor twice; stopping", "repeated cursor")


def _current_cancelling() -> bool:
    task = asyncio.current_task()
    return bool(task is not None and task.cancelling())
