"""The matches of one query in the table, read the way :func:`audit_tui.export.export` reads a
store (``search``, then ``raw``/``row`` by position, newest first), holding one page at a time.

Positions are read in order, a keyset page after the other; the oldest match (which an export's
manifest names) is fetched on its own.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from audit_tui.clickhouse.events import ClickHouseEvents, Cursor, Event
from audit_tui.model import Row
from audit_tui.query import Query, utcnow
from audit_tui.store import Result

PAGE = 5000


class PagedView:
    error: str | None = None
    loading = False

    def __init__(self, events: ClickHouseEvents, query: Query, now: datetime | None = None):
        self.events = events
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
        return Result(np.arange(self._count, dtype=np.int64), self._count)

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
            page = self.events.page(self.query, PAGE, None, self.now)
            self._page, self._next = page.events, page.next
        while position >= self._start + len(self._page):
            if self._next is None:
                raise IndexError(position)
            start = self._start + len(self._page)
            page = self.events.page(self.query, PAGE, self._next, self.now)
            self._start, self._page, self._next = start, page.events, page.next
        return self._page[position - self._start]

    def raw(self, position: int) -> bytes:
        return self._event(position).raw

    def row(self, position: int) -> Row:
        return self._event(position).row

    def close(self) -> None:
        self.events.close()
