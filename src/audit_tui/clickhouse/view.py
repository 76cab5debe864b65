"""The matches of one query in the table, read the way :func:`audit_tui.export.export` reads a
store (``search``, then ``raw``/``row`` by position, newest first), holding one page at a time.

Positions are read in order, a keyset page after the other; the oldest match (which an export's
manifest names) is fetched on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import cast, overload

import numpy as np

from audit_tui.clickhouse.events import ClickHouseEvents, Cursor, Event
from audit_tui.model import Row
from audit_tui.query import Query, utcnow
from audit_tui.store import Result

PAGE = 5000


class Positions:
    """The positions ``0 … n-1`` of a view's matches, newest first, without an array of them:
    10 million matches would be 80 MB of int64 in a process that holds only a page. A slice is
    an array (of the slice's positions), an index an int, as with an array of positions."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, key: int) -> int: ...

    @overload
    def __getitem__(self, key: slice) -> np.ndarray: ...

    def __getitem__(self, key: int | slice) -> int | np.ndarray:
        if isinstance(key, slice):
            return np.arange(*key.indices(self.n), dtype=np.int64)
        i = int(key) + (self.n if int(key) < 0 else 0)
        if not 0 <= i < self.n:
            raise IndexError(key)
        return i

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.n))

    def tolist(self) -> list[int]:
        return list(range(self.n))


class PagedView:
    error: str | None = None
    loading = False

    def __init__(
        self,
        events: ClickHouseEvents,
        query: Query,
        now: datetime | None = None,
        page: int = PAGE,
    ):
        self.events = events
        self.page_size = page  # events read from the engine at a time
        self.query = query
        self.now = now or utcnow()
        self.label = events.label
        self._count = -1
        self._start = 0  # position of the page's first event
        self._page: list[Event] = []
        self._next: Cursor | None = None
        self._oldest: Event | None = None

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def search(self, query: Query, now: datetime | None = None) -> Result:
        """Every match of the view's query (positions 0..count-1, newest first)."""
        if self._count < 0:
            self._count = self.events.count(self.query, self.now)
        # reads like an array of positions, holds none (see Positions)
        return Result(cast(np.ndarray, Positions(self._count)), self._count)

    def _event(self, position: int) -> Event:
        if self._start <= position < self._start + len(self._page):
            return self._page[position - self._start]
        if position == self._count - 1 and position > self._start + len(self._page):
            if self._oldest is None:
                self._oldest = self.events.oldest(self.query, self.now)
            if self._oldest is not None:
                return self._oldest
        if position < self._start or not self._page:  # from the start again (rare)
            self._start, self._page, self._next = 0, [], None
            page = self.events.page(self.query, self.page_size, None, self.now)
            self._page, self._next = page.events, page.next
        while position >= self._start + len(self._page):
            if self._next is None:
                raise IndexError(position)
            start = self._start + len(self._page)
            page = self.events.page(self.query, self.page_size, self._next, self.now)
            self._start, self._page, self._next = start, page.events, page.next
        return self._page[position - self._start]

    def raw(self, position: int) -> bytes:
        return self._event(position).raw

    def row(self, position: int) -> Row:
        return self._event(position).row

    # an export reads events by load index (see Result.events); here positions never move
    event_raw = raw
    event_row = row

    def close(self) -> None:
        self.events.close()
