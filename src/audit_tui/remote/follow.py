"""Follow an audit API: poll for the events newer than the newest one seen.

Each poll asks the server for the query's events with ``since`` set to the newest ``audited_at``
seen minus an overlap (:data:`OVERLAP_MS`), so an event written a little late, with an older
time than one already seen, is still found; what the overlap brings again is recognised by its
``id`` (an event without one by its bytes) and left out. Between polls the follower waits
:attr:`RemoteFollower.delay`: :data:`FIRST_INTERVAL` after events arrived, doubling while none
do up to :data:`MAX_INTERVAL`; after a 429 the server's ``Retry-After`` (up to
:data:`MAX_RETRY_AFTER`), after another failure a longer wait again. An event older than the
newest seen minus the overlap when it is first seen is not shown (it is documented in
``docs/api.md``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from audit_tui.model import iso_ms, parse_time
from audit_tui.query import Query, utcnow
from audit_tui.remote.client import Params, RemoteClient, query_params
from audit_tui.remote.errors import RateLimitError, RemoteError

OVERLAP_MS = 10_000  # polls ask again for this much before the newest event seen
FIRST_INTERVAL = 1.0  # seconds between polls while events arrive
MAX_INTERVAL = 16.0  # ... at most, while none do
MAX_RETRY_AFTER = 300.0  # the longest wait a server's Retry-After gets


@dataclass
class Polled:
    """The events one poll found that were not seen before, in the server's order (newest
    first), and the ones the client could not decode (see ``Page.skipped``)."""

    raws: list[bytes] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.raws)


def _key(raw: bytes, record: dict[str, Any]) -> str:
    value = record.get("id")
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
        return f"id:{value}"
    return "sha:" + hashlib.sha256(raw.strip()).hexdigest()


def _time(record: dict[str, Any]) -> int | None:
    value = record.get("audited_at", record.get("auditedAt"))
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


class RemoteFollower:
    """What is new on an audit API for ``query``, poll after poll (``known``: the events
    already shown, as records)."""

    def __init__(
        self,
        client: RemoteClient,
        query: Query,
        *,
        known: Iterable[dict[str, Any]] = (),
        known_raws: Iterable[bytes] | None = None,
        overlap_ms: int = OVERLAP_MS,
        interval: float = FIRST_INTERVAL,
        max_interval: float = MAX_INTERVAL,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.query = query
        self.overlap_ms = overlap_ms
        self.interval = interval
        self.max_interval = max_interval
        self.now = now
        self.delay = interval  # seconds to wait before the next poll
        self.newest: int | None = None  # the newest audited_at seen (ms)
        self._recent: dict[str, int] = {}  # key -> audited_at, within the overlap of newest
        records = list(known)
        raws = list(known_raws) if known_raws is not None else [b""] * len(records)
        for raw, record in zip(raws, records, strict=True):
            self._remember(raw, record)
        self._prune()

    def _remember(self, raw: bytes, record: dict[str, Any]) -> None:
        ms = _time(record)
        if ms is not None and (self.newest is None or ms > self.newest):
            self.newest = ms
        self._recent[_key(raw, record)] = ms if ms is not None else (self.newest or 0)

    def _prune(self) -> None:
        if self.newest is None:
            return
        floor = self.newest - self.overlap_ms
        self._recent = {k: ms for k, ms in self._recent.items() if ms >= floor}

    def params(self) -> Params:
        """The query's parameters, with ``since`` no earlier than the newest event seen minus
        the overlap (a rolling period is resolved against now, at each poll)."""
        params = query_params(self.query, self.now())
        if self.newest is None:
            return params
        floor = self.newest - self.overlap_ms
        since = [v for k, v in params if k == "since"]
        if since and parse_time(since[0]) >= floor:
            return params
        return [(k, v) for k, v in params if k != "since"] + [("since", iso_ms(floor))]

    def _is_new(self, raw: bytes, record: dict[str, Any]) -> bool:
        if _key(raw, record) in self._recent:
            return False  # the overlap brought it again
        ms = _time(record)
        if self.newest is not None and ms is not None and ms < self.newest - self.overlap_ms:
            return False  # older than what is asked for: a server that ignores `since`
        return True

    async def poll(self) -> Polled:
        """One poll: every page of what is newer (raises :class:`RemoteError`; ``delay``
        then says how long to wait before the next one)."""
        found = Polled()
        try:
            pages = self.client.pages(self.params(), limit=None, prefetch=False)
            try:
                async for page in pages:
                    found.skipped += page.skipped
                    for raw, record in zip(page.raws, page.records, strict=True):
                        if self._is_new(raw, record):
                            found.raws.append(raw)
                            found.records.append(record)
            finally:
                await pages.aclose()
        except RateLimitError as exc:
            wait = exc.retry_after if exc.retry_after is not None else self.delay * 2
            self.delay = min(max(wait, self.interval), MAX_RETRY_AFTER)
            raise
        except RemoteError:
            self.delay = min(max(self.delay * 2, self.interval), self.max_interval)
            raise
        for raw, record in zip(found.raws, found.records, strict=True):
            self._remember(raw, record)
        self._prune()
        if found.raws:
            self.delay = self.interval
        else:
            self.delay = min(self.delay * 2, self.max_interval)
        return found
