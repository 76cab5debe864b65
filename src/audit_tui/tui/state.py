"""The immutable values the browser screen owns and hands down to its widgets.

A view is the list of events the table shows, newest first. The table, the detail dialog, the
status line and the export dialog read it through the few methods of :class:`EventList`, so
they work the same over a local store (:class:`View`) and over an audit API
(:class:`RemoteView`); only the screen knows where the events come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from rich.text import Text

from audit_tui import changes
from audit_tui.changes import EventChanges
from audit_tui.model import Row, flatten, iso_ms
from audit_tui.query import PERIODS, Query, period_ms
from audit_tui.safe import clean
from audit_tui.sources.formats import normalise
from audit_tui.store import FileReport, Store
from audit_tui.tui.format import format_time, thousands

EMPTY = np.empty(0, np.int64)
NO_MATCH = "No events match. Press X to clear the filters, or / to change the search."


def year_of(ms: int) -> int:
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).year
    except (OverflowError, OSError, ValueError):
        return 0


class EventList:
    """What every view offers its readers. Views compare by identity, so every new view
    reaches the widgets bound to it; :meth:`same_list` says whether two views are the same
    list (grown, or recounted) so a cursor can stay where it is."""

    query: Query
    now: datetime | None  # the instant the query's period was resolved against
    complete: bool  # False while the count is not final yet

    @property
    def count(self) -> int:
        """Events in the list (for a remote view: loaded so far)."""
        raise NotImplementedError

    @property
    def has_more(self) -> bool:
        """More events can be loaded at the end of the list."""
        return False

    @property
    def ready(self) -> bool:
        """The list has been computed at least once (else the table says "Loading…")."""
        return True

    @property
    def pending(self) -> bool:
        """A newer result is on its way (the status line says "searching…")."""
        return not self.complete

    def row(self, index: int) -> Row:
        raise NotImplementedError

    def raw(self, index: int) -> bytes:
        """The event's original text, exactly as the source gave it."""
        raise NotImplementedError

    def same_list(self, other: EventList) -> bool:
        raise NotImplementedError

    def grew_from(self, other: EventList) -> bool:
        """This is ``other``'s list after events arrived at a followed source: the table keeps
        its cursor on the event it was on."""
        return False

    # -- what an event changed (the detail view's diff and "previous change") ---------------

    def key(self, index: int) -> int:
        """A lasting name of the event at ``index``: it still names the event when the list
        changes (a local view: its store position)."""
        return index

    def index_of(self, key: int) -> int | None:
        """Where the event ``key`` is in this list (None: not in it, e.g. filtered out)."""
        return key if 0 <= key < self.count else None

    def raw_at(self, key: int) -> bytes:
        return self.raw(key)

    def row_at(self, key: int) -> Row:
        return self.row(key)

    def origin_at(self, key: int) -> tuple[str, str] | None:
        """Which file the event comes from, and where in it (``line 12``, ``record 3``, or
        ""), when the source is several files."""
        return None

    def changes_at(self, key: int) -> EventChanges | None:
        """What the event changed, where its format records it (None: nothing recorded)."""
        return changes.record_changes(self.raw_at(key))

    def previous_change(self, key: int) -> int | None:
        """The key of the previous event that changed the same resource (None: none known).
        Here: searched among the older events of the list."""
        row = self.row_at(key)
        for i in range(key + 1, min(self.count, key + 1 + changes.SCAN_LIMIT)):
            other = self.row(i)
            if changes.same_resource(row, other) and changes.changed_it(other, self.raw(i)):
                return i
        return None

    def count_text(self, fallback_total: int = 0) -> Text:
        """The status line's count: ``1,204 of 3,000 events``."""
        raise NotImplementedError

    def empty_message(self) -> str:
        """What the table says when the list is empty (and ready)."""
        return NO_MATCH

    def export_count(self) -> tuple[str, str]:
        """How many events an export of this view writes, in words, and a note on it."""
        raise NotImplementedError

    def span(self) -> tuple[int, int] | None:
        """(oldest, newest) epoch ms of every event of the source (not only the matches)."""
        return None

    def spans_years(self) -> bool:
        """The source's events fall in more than one calendar year (times show their year)."""
        span = self.span()
        if span is None:
            return False
        return year_of(span[0]) != year_of(span[1])

    def type_width(self) -> int:
        """Characters of the source's longest event type (0: not known)."""
        return 0


@dataclass(frozen=True, eq=False)
class View(EventList):
    """The matches of ``query`` in ``store``, newest first, as sorted store positions.

    ``complete`` is False while only the first page of a new search is known (the count comes
    next)."""

    store: Store | None = None
    query: Query = field(default_factory=Query)
    positions: np.ndarray = field(default_factory=lambda: EMPTY)
    total: int = 0
    complete: bool = True
    now: datetime | None = None
    source_span: tuple[int, int] | None = None  # the store's oldest and newest event (ms)
    longest_type: int = 0  # the store's longest event type (characters)
    # the matches as the store's load indices (Result.events): they name the same events when
    # more arrive (a followed source) and positions move; None: read by position
    events: np.ndarray | None = None

    @property
    def count(self) -> int:
        return len(self.positions)

    @property
    def ready(self) -> bool:
        return self.store is not None

    def row(self, index: int) -> Row:
        assert self.store is not None
        if self.events is None:
            return self.store.row(int(self.positions[index]))
        return self.store.event_row(int(self.events[index]))

    def raw(self, index: int) -> bytes:
        assert self.store is not None
        if self.events is None:
            return self.store.raw(int(self.positions[index]))
        return self.store.event_raw(int(self.events[index]))

    def same_list(self, other: EventList) -> bool:
        return isinstance(other, View) and other.store is self.store and other.query == self.query

    def grew_from(self, other: EventList) -> bool:
        """The same list after events arrived (a followed source)."""
        return (
            isinstance(other, View)
            and self.same_list(other)
            and self.events is not None
            and other.events is not None
            and self.total > other.total
        )

    def key(self, index: int) -> int:
        """The event's load index: it names the event while others arrive."""
        if self.events is None:
            return int(self.positions[index])
        return int(self.events[index])

    def index_of(self, key: int) -> int | None:
        found = np.flatnonzero((self.positions if self.events is None else self.events) == key)
        return int(found[0]) if len(found) else None

    def raw_at(self, key: int) -> bytes:
        assert self.store is not None
        return self.store.raw(key) if self.events is None else self.store.event_raw(key)

    def row_at(self, key: int) -> Row:
        assert self.store is not None
        return self.store.row(key) if self.events is None else self.store.event_row(key)

    def origin_at(self, key: int) -> tuple[str, str] | None:
        store = self.store
        if store is None or store.file_count < 2:
            return None
        name, unit, number = store.origin(key) if self.events is None else store.event_origin(key)
        return name, "" if number is None else f"{unit} {number:,}"

    def changes_at(self, key: int) -> EventChanges | None:
        store = self.store
        assert store is not None
        if self.events is None:
            return changes.event_changes(store, key)
        with store.steady():  # positions hold still for the few calls that pass them on
            found = changes.event_changes(store, store.position_of(key))
            if found is None or found.against is None:
                return found
            return replace(found, against=int(store.events_at(np.array([found.against]))[0]))

    def previous_change(self, key: int) -> int | None:
        """Searched in the whole source, whatever the filters."""
        store = self.store
        assert store is not None
        if self.events is None:
            return changes.previous_change(store, key)
        with store.steady():
            position = changes.previous_change(store, store.position_of(key))
            return None if position is None else int(store.events_at(np.array([position]))[0])

    def count_text(self, fallback_total: int = 0) -> Text:
        # the total of the moment the query ran, so "of" never suggests a filter that is not there
        total = self.total if self.store is not None else fallback_total
        text = Text()
        text.append(thousands(self.count) + ("" if self.complete else "+"), "bold")
        text.append(f" of {thousands(total)} events")
        return text

    def empty_message(self) -> str:
        if self.total == 0:
            return "This source holds no events."
        anchored = self.anchored()
        if anchored is None or self.source_span is None:
            return NO_MATCH
        label = PERIODS[self.query.period]
        newest = format_time(self.source_span[1])
        return (
            f"Nothing in the {label.lower()}: the newest event is from {newest} UTC. "
            f"Press A for the {label.removeprefix('Last ')} before it."
        )

    def anchored(self) -> Query | None:
        """When the rolling period shows nothing because every event is older: the same query
        with the period ending at the newest event instead of now (else None)."""
        length = period_ms(self.query.period)
        if length is None or self.source_span is None or self.now is None or self.count:
            return None
        since = self.query.window(self.now).since
        newest = self.source_span[1]
        if since is None or newest >= since:
            return None
        return self.query.with_(
            period="custom", since=iso_ms(newest + 1 - length), until=iso_ms(newest + 1)
        )

    def span(self) -> tuple[int, int] | None:
        return self.source_span

    def type_width(self) -> int:
        return self.longest_type

    def export_count(self) -> tuple[str, str]:
        if self.store is not None and self.store.loading:
            note = "The source is still loading: the export waits for it and writes every match."
            return f"at least {thousands(self.count)} events", note
        if not self.complete:
            return (
                f"at least {thousands(self.count)} events",
                "Still counting: every match is written.",
            )
        return f"{thousands(self.count)} events", ""


@dataclass(frozen=True, eq=False)
class RemoteView(EventList):
    """The events of ``query`` loaded so far from an audit API, in the server's order.

    ``raws`` and ``events`` are the pager's own lists: they only grow (until the next query
    gives the pager new ones), so a view reads its first ``loaded`` items safely while more
    pages arrive. ``total`` is the server's count (None when it gives none)."""

    query: Query = field(default_factory=Query)
    raws: list[bytes] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    loaded: int = 0
    total: int | None = None
    more: bool = False
    now: datetime | None = None
    started: bool = False  # the first page (or its failure) has arrived
    searching: bool = False  # a new query's first page is on its way
    error: str | None = None
    complete: bool = True
    # events that arrived while following, oldest first (append-only, like ``raws``): the
    # first ``fresh`` of them show above the pages, newest first
    fresh_raws: list[bytes] = field(default_factory=list)
    fresh_events: list[dict[str, Any]] = field(default_factory=list)
    fresh: int = 0

    @property
    def count(self) -> int:
        return self.fresh + self.loaded

    @property
    def has_more(self) -> bool:
        return self.more

    @property
    def ready(self) -> bool:
        return self.started

    @property
    def pending(self) -> bool:
        return self.searching

    def row(self, index: int) -> Row:
        if index < self.fresh:
            return flatten(normalise(self.fresh_events[self.fresh - 1 - index]))
        return flatten(normalise(self.events[index - self.fresh]))

    def raw(self, index: int) -> bytes:
        if index < self.fresh:
            return self.fresh_raws[self.fresh - 1 - index]
        return self.raws[index - self.fresh]

    def same_list(self, other: EventList) -> bool:
        return (
            isinstance(other, RemoteView)
            and other.raws is self.raws
            and other.fresh_raws is self.fresh_raws
        )

    def grew_from(self, other: EventList) -> bool:
        return isinstance(other, RemoteView) and self.same_list(other) and self.fresh > other.fresh

    # keys: a page's event by its index in the pages (≥ 0), an arrived one by -(its number)
    def key(self, index: int) -> int:
        return -(self.fresh - index) if index < self.fresh else index - self.fresh

    def index_of(self, key: int) -> int | None:
        if key < 0:
            return self.fresh + key if -key <= self.fresh else None
        return key + self.fresh if key < self.loaded else None

    def raw_at(self, key: int) -> bytes:
        return self.fresh_raws[-key - 1] if key < 0 else self.raws[key]

    def row_at(self, key: int) -> Row:
        record = self.fresh_events[-key - 1] if key < 0 else self.events[key]
        return flatten(normalise(record))

    def previous_change(self, key: int) -> int | None:
        index = self.index_of(key)
        if index is None:
            return None
        row = self.row(index)
        for i in range(index + 1, min(self.count, index + 1 + changes.SCAN_LIMIT)):
            other = self.row(i)
            if changes.same_resource(row, other) and changes.changed_it(other, self.raw(i)):
                return self.key(i)
        return None

    def shown_events(self) -> list[dict[str, Any]]:
        """The events of the view as records (the arrived ones, then the pages')."""
        return self.fresh_events[: self.fresh] + self.events[: self.loaded]

    def busy(self) -> RemoteView:
        """This view, marked as waiting for a new query's first page."""
        return replace(self, searching=True)

    def count_text(self, fallback_total: int = 0) -> Text:
        text = Text()
        if not self.started:
            text.append("connecting…", "bold")
        elif self.error and not self.loaded:
            text.append("no events loaded", "bold")
        elif self.total is not None:
            text.append(thousands(self.total + self.fresh), "bold")
            text.append(" events")
            if self.loaded < self.total:
                text.append(f" ({thousands(self.count)} loaded)", "dim")
        elif self.more:
            text.append(thousands(self.count), "bold")
            text.append(" loaded, more available")
        else:
            text.append(thousands(self.count), "bold")
            text.append(" events")
        return text

    def empty_message(self) -> str:
        if self.error:
            return f"Could not load events: {clean(self.error, 300)}  (r tries again)"
        if self.total == 0 and self.query.is_empty:
            return "The server holds no events."
        return NO_MATCH

    def export_count(self) -> tuple[str, str]:
        note = "Every page is fetched from the server first."
        if self.total is not None:
            return f"{thousands(self.total)} events", note
        if self.more:
            return f"every matching event ({thousands(self.loaded)} loaded so far)", note
        return f"{thousands(self.loaded)} events", ""


@dataclass(frozen=True)
class LoadState:
    """How far the source has loaded, for the status line."""

    label: str = ""
    format_name: str = ""
    loading: bool = True
    progress: float = 0.0
    total: int = 0
    skipped: int = 0
    error: str | None = None
    files: FileReport | None = None  # a source of several files: how they are being read

    @classmethod
    def of(cls, store: Store | None) -> LoadState:
        if store is None:
            return cls()
        report = store.file_report
        return cls(
            label=store.label,
            format_name=store.format_name,
            loading=store.loading,
            progress=store.progress,
            total=store.total,
            skipped=store.skipped_count,
            error=store.error,
            files=replace(report, skipped=list(report.skipped)) if report.total else None,
        )


@dataclass(frozen=True)
class FollowState:
    """Whether the source is followed, for the status line: ``arrived`` matching events since
    the view was built, ``above`` of them above the rows on screen (the user is further
    down), ``ended``: the source can send no more (a pipe was closed)."""

    on: bool = False
    arrived: int = 0
    above: int = 0
    ended: bool = False
    starting: bool = False  # asked for; the follower is being set up (or the store loads)
