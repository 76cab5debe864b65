"""The columnar in-memory index: filters, facet counts, ordering and pages at a million events.

Columns live in numpy arrays in *sorted* order (newest first): timestamps, and dictionary codes
for event type, actor and workspace. The raw records stay where they are (offsets into the file,
or bytes in memory for sources without a file) and a row is built only when it is shown. The
search texts live in a text index (in this process, or sharded over the loader's worker
processes). Loading appends blocks while queries already run on what has arrived.
"""

from __future__ import annotations

import os
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np
import orjson

from audit_tui import countby, searchlang
from audit_tui.facets import describe, fold, party_of, selection_names
from audit_tui.model import EPOCH, Row, flatten, iso_ms, load_json, party
from audit_tui.query import Query, extends, parse_when, utcnow
from audit_tui.textindex import (
    LocalTextIndex,
    TailTextIndex,
    TextPart,
    encode_words,
    fragments,
    needs_verify,
    record_text,
)

# search-language fields that are dictionary-coded columns
COLUMN_FIELDS = {"actor": "actors", "type": "event_types", "workspace": "workspaces"}
# Ties in time are broken by id, read back from the records: only when there are few of them.
TIE_BREAK_LIMIT = 20_000
# Events that arrive after loading (a followed file) and tie in time with others: at most this
# many are ordered by id per arrival (past it, the order they arrived in is kept).
GROW_TIE_LIMIT = 2_000
GONE = -1  # a raw segment whose records are gone (the file was truncated, no copy found)


Record = dict[str, Any]


@dataclass
class BlockResult:
    """Columns of the valid events of one block, in line order: what a loader's indexer hands
    the store (:meth:`Store.add_block`)."""

    offset: int  # byte offset of the block in its file (or a block number for memory sources)
    nlines: int  # lines it spans (0 when its invalid lines are numbered from the file's start)
    ts: np.ndarray  # int64 epoch ms
    etype: np.ndarray  # int32 codes into the indexer's dictionaries
    actor: np.ndarray
    workspace: np.ndarray
    starts: np.ndarray  # int64 byte offset of each event's line in the file
    lengths: np.ndarray  # int32 byte length of each line
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line index in block, why)
    new_etypes: list[str] = field(default_factory=list)
    # party keys (id, name, email, type), None where absent
    new_actors: list[Any] = field(default_factory=list)
    new_workspaces: list[Any] = field(default_factory=list)
    raws: list[bytes] | None = None  # the records themselves when there is no file to read
    file: int = 0  # which file of the source the block is of (see Store.add_file)
    # the file of each event, for a block made of several small files (``file`` is then the
    # first; their ``lines`` count from each file's start and ``nlines`` is 0)
    files: np.ndarray | None = None
    # int32 line (or record) index of each event in the block (None: not known); several
    # events share a line when the line is a whole CloudTrail object or API page
    lines: np.ndarray | None = None

    @property
    def count(self) -> int:
        return len(self.ts)


class TextIndex(Protocol):
    def add(self, source: int, count: int, texts: TextPart | None) -> None:
        """The search texts of a block's ``count`` events from indexer ``source`` (None: the
        index has them already, e.g. a loader's worker process holds them)."""

    def match(
        self, words: Sequence[bytes], candidates: np.ndarray | None, limit: int | None
    ) -> np.ndarray: ...

    def close(self) -> None: ...

    def wait_ready(self, timeout: float | None = None) -> bool: ...

    def newest(
        self, words: Sequence[bytes], allowed: np.ndarray | None, limit: int
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class FacetValue:
    value: str  # what goes into the Query
    label: str  # what the user reads (unsanitised: the UI cleans it)
    count: int
    kind: str = ""  # actor type, for markers
    names: frozenset[str] = frozenset()  # every (folded) selection value that selects it

    def selected_by(self, chosen: frozenset[str] | set[str]) -> bool:
        """True when one of the (folded) values in ``chosen`` selects this entry (an actor
        given by email on the command line selects the entry shown by id)."""
        return fold(self.value) in chosen or bool(self.names & chosen)


@dataclass(frozen=True)
class Facets:
    actors: list[FacetValue]
    event_types: list[FacetValue]
    workspaces: list[FacetValue]

    def get(self, name: str) -> list[FacetValue]:
        return getattr(self, name)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Result:
    """The events matching a query: sorted positions, newest first.

    Positions name events in the store's order of the moment: when events arrive after
    loading (a followed source) they move. ``order`` is that order (load index of each
    position), so :attr:`events` names the matches for good."""

    positions: np.ndarray
    total: int  # events in the store when the query ran
    order: np.ndarray | None = None

    @property
    def count(self) -> int:
        return len(self.positions)

    @property
    def events(self) -> np.ndarray:
        """The matches as load indices (:meth:`Store.event_raw`), which never move."""
        return self.positions if self.order is None else self.order[self.positions]


@dataclass
class Skipped:
    line: int  # 1-based line (or record) number
    reason: str
    unit: str = "line"
    file: str = ""  # the file it is in, when the source is several files


def describe_skipped(skipped: Sequence[Skipped], most: int = 10) -> str:
    parts = [
        (f"{s.file} " if s.file else "") + f"{s.unit} {s.line} {s.reason}" for s in skipped[:most]
    ]
    more = f"; … and {len(skipped) - most} more" if len(skipped) > most else ""
    noun = "record" if len(skipped) == 1 else "records"
    return f"skipped {len(skipped)} invalid {noun}: " + "; ".join(parts) + more


class SourceFile:
    """One file of a source made of several files: its name and where its records are read
    back (by offset from the file, reopened when needed; from a buffer; or, with neither, from
    the records the store holds)."""

    def __init__(
        self,
        name: str,
        *,
        path: str | None = None,
        ident: tuple[int, int] | None = None,
        buffer: bytes | None = None,
        unit: str = "line",
    ) -> None:
        self.name = name  # as the user reads it (the path as given or found)
        self.path = path
        self.ident = ident  # (st_dev, st_ino) when it was read: a reopened file must match
        self.buffer = buffer
        self.unit = unit  # what its records are numbered by: line, or record


class _OpenFiles:
    """The descriptors of the files records are read back from: at most ``limit`` open at a
    time (10,000 files of a folder cannot all be), the least recently read closed first. A
    file reopened is checked to be the one that was read (a log rotated meanwhile is not)."""

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self._fds: dict[int, int] = {}  # file number -> descriptor, least recently used first
        self._lock = threading.Lock()

    def pread(self, number: int, f: SourceFile, length: int, offset: int) -> bytes:
        with self._lock:
            fd = self._fds.pop(number, None)
            if fd is None:
                fd = self._open(f)
                while len(self._fds) >= self.limit:
                    os.close(self._fds.pop(next(iter(self._fds))))
            self._fds[number] = fd
            return os.pread(fd, length, offset)

    @staticmethod
    def _open(f: SourceFile) -> int:
        assert f.path is not None
        fd = os.open(f.path, os.O_RDONLY)
        st = os.fstat(fd)
        if f.ident is not None and (st.st_dev, st.st_ino) != f.ident:
            os.close(fd)
            raise OSError(f"{f.name}: replaced since it was read (rotated?); reload the source")
        return fd

    def close(self) -> None:
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()


@dataclass
class FileReport:
    """How the files of a source made of several were read: counts for the progress bar, and
    the files not read, with why."""

    total: int = 0  # files to read
    done: int = 0  # files finished (read or not)
    read: int = 0  # files whose events were read
    bytes_total: int = 0
    bytes_done: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    def summary(self, most: int = 3) -> str:
        """``read 3 files; skipped 2: notes.md not a log (.md); …``."""
        read = f"read {self.read:,} file{'' if self.read == 1 else 's'}"
        if not self.skipped:
            return read
        parts = [f"{name} {why}" for name, why in self.skipped[:most]]
        more = f"; … and {len(self.skipped) - most} more" if len(self.skipped) > most else ""
        return f"{read}; skipped {len(self.skipped):,}: " + "; ".join(parts) + more


def _as_is(record: Record) -> Record:
    return record


class _Dict:
    """A global dictionary of facet values, and per-source remapping of local codes."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.index: dict[Any, int] = {}
        self.remaps: dict[int, list[int]] = {}
        self._arrays: dict[int, np.ndarray] = {}  # each remap as an array, made when it grows

    def add(self, source: int, new: list[Any]) -> np.ndarray:
        remap = self.remaps.setdefault(source, [])
        for key in new:
            code = self.index.get(key)
            if code is None:
                code = self.index[key] = len(self.values)
                self.values.append(key)
            remap.append(code)
        array = self._arrays.get(source)
        if array is None or len(array) != len(remap):  # (10,000 small files: 10,000 blocks)
            array = self._arrays[source] = np.asarray(remap, dtype=np.int32)
        return array


RAWS_SPAN = 16 * 1024 * 1024  # the most Store.raws reads at once
SORT_READ_LIMIT = 200_000  # matches whose rows are read to sort by a column not in the index


class SortError(ValueError):
    """A sort that cannot be done (the message says why and what to do)."""


def _label_text(facet: str, key: Any) -> str:
    if facet == "event_types":
        return str(key).casefold()
    field = "actor" if facet == "actors" else "workspace"
    return countby.party_value(field, party_of(key)).casefold()


def _sort_text(column: str, row: Row) -> str:
    if column == "resource":
        return (row.resource_name or row.resource_id).casefold()
    return row.organization.casefold()


class Store:
    """Events of one source, queryable while they load."""

    def __init__(
        self,
        label: str,
        text_index: TextIndex | None = None,
        *,
        native: Callable[[Record], Record] | None = None,
        source: str | None = None,
    ) -> None:
        """``label`` names the source for the user; ``native`` reads one of its records in the
        native shape (the source's format; records are native when not given); ``source`` is
        what opens it again: a path, ``-`` for standard input, ``""`` for the bundled sample
        (None: not known)."""
        self.label = label
        self.source = source
        self.native: Callable[[Record], Record] = native if native is not None else _as_is
        self.text: TextIndex = text_index if text_index is not None else LocalTextIndex()
        self._lock = threading.RLock()
        self._pending: list[BlockResult] = []
        self._pending_n = 0  # events in _pending
        self._blocks: list[tuple[int, int, int]] = []  # (offset, nlines, first global index)
        # (block offset, line in block, why, block number)
        self._invalid: list[tuple[int, int, str, int]] = []
        self._etypes, self._actors, self._workspaces = _Dict(), _Dict(), _Dict()
        self._raw_fd: int | None = None
        self._raw_buffer: bytes | None = None
        self._raws: list[bytes] = []
        # Records of events that arrived after loading may live elsewhere than the source's
        # own (a rotated file's successor, memory): from each segment's first load index on,
        # its fd (None: in memory, ``self._raws``; GONE: truncated away).
        self._seg_firsts: list[int] = []
        self._seg_fds: list[int | None] = []
        self._next_source = 1000  # indexers of followers get numbers from here
        self.extent: int | None = None  # bytes of JSON lines the loader read (None: no lines)
        self.grown = 0  # events added after loading (a followed source)
        self._temp_files: list[str] = []
        self.unit = "line"  # what skipped records are numbered by: line, or record
        # several files (see add_file); empty for a source of one file
        self._files: list[SourceFile] = []
        self._open_files = _OpenFiles()
        self._block_files: list[int] = []  # the file of each block of _blocks
        self._bases: tuple[int, list[int]] = (0, [])  # see _line_bases
        self._firsts = np.empty(0, np.int64)  # the first event of each block
        self.file_report = FileReport()  # how a source of several files was read
        # load-order columns
        self._ts = np.empty(0, np.int64)
        self._et = np.empty(0, np.int32)
        self._ac = np.empty(0, np.int32)
        self._ws = np.empty(0, np.int32)
        self._starts = np.empty(0, np.int64)
        self._lengths = np.empty(0, np.int32)
        self._fc = np.empty(0, np.int32)  # the file of each event (see add_file)
        self._ln = np.empty(0, np.int32)  # its line (or record) index in its block, -1: unknown
        self._n = 0
        # sorted view
        self._sorted_n = -1
        self._order = np.empty(0, np.int64)
        self._pos_of = np.empty(0, np.int64)
        self._neg_ts = np.empty(0, np.int64)
        self._cols: dict[str, np.ndarray] = {}
        self._text_cache: tuple[tuple[bytes, ...], int, np.ndarray] | None = None
        self._lookups: dict[str, tuple[int, dict[str, list[int]]]] = {}
        self._term_masks: dict[searchlang.Expr, np.ndarray] = {}  # for the sorted view
        self._rank_cache: dict[str, np.ndarray] = {}
        self.loading = True
        self.progress = 0.0  # 0..1 of the bytes (or records) read
        self.error: str | None = None
        self.format_name = ""
        self._done = threading.Event()

    # -- building ----------------------------------------------------------------------

    @property
    def text_settled(self) -> bool:
        """Whether the text index has finished its idle work: a full search is then quick."""
        return bool(getattr(self.text, "settled", True))

    def set_raw_file(self, path: str) -> None:
        self._raw_fd = os.open(path, os.O_RDONLY)

    def set_raw_buffer(self, data: bytes) -> None:
        self._raw_buffer = data

    def add_file(self, f: SourceFile) -> int:
        """One more file of a source made of several: its number, for ``BlockResult.file``."""
        with self._lock:
            self._files.append(f)
            return len(self._files) - 1

    def file_entry(self, number: int) -> SourceFile:
        with self._lock:
            return self._files[number]

    @property
    def file_count(self) -> int:
        """Files whose events are in the store (1 for a source of one file)."""
        return len(self._files) or 1

    # -- growing after loading (a followed source) ------------------------------------

    def new_source(self) -> int:
        """A source number for another indexer (a follower's): its dictionary codes are its
        own, as each loader worker's are."""
        with self._lock:
            self._next_source += 1
            return self._next_source

    def grow(self, source: int, block: BlockResult, texts: TextPart) -> None:
        """Append events that arrived after loading (a followed file's new lines). They join
        the text index, the facet dictionaries, the time order, the counts and the histogram
        at the next query, without a reload: the time order is merged, and a cached search
        is extended by testing the new events only."""
        with self._lock:
            if not isinstance(self.text, LocalTextIndex | TailTextIndex):
                # the loader's workers hold the texts loaded so far; the new ones stay here
                self.text = TailTextIndex(self.text, self.total)
            self.add_block(source, block, texts)
            self.grown += block.count

    def raw_file_id(self) -> tuple[int, int] | None:
        """(st_dev, st_ino) of the file the loaded records are read back from (None: they are
        not in a file)."""
        with self._lock:
            return None if self._raw_fd is None else _file_id(self._raw_fd)

    def raw_file_dup(self) -> int | None:
        """A new descriptor of the file the loaded records are read back from (the caller
        closes it); None when they are not in a file."""
        with self._lock:
            return None if self._raw_fd is None else os.dup(self._raw_fd)

    def raws_from(self, fd: int | None) -> None:
        """Events added from now on keep their records in the file ``fd``, at their offsets
        (the store owns it from now on and closes it), or, with None, in memory (their
        blocks' ``raws``)."""
        with self._lock:
            first = self.total
            if self._seg_firsts and self._seg_fds[-1] == fd:
                return
            if self._seg_firsts and self._seg_firsts[-1] == first:
                old = self._seg_fds[-1]
                self._seg_fds[-1] = fd
                self._release(old)
            else:
                self._seg_firsts.append(first)
                self._seg_fds.append(fd)

    def reroute_raws(self, file_id: tuple[int, int], fd: int | None) -> int:
        """The file ``file_id`` was truncated: the records of the events read from it so far
        are read from ``fd`` instead (a copy of it, at the same offsets, that the store now
        owns) or, with None, are gone (the detail view shows what the index holds). Returns
        how many events that concerns."""
        with self._lock:
            target = GONE if fd is None else fd
            if self._raw_fd is not None and _file_id(self._raw_fd) == file_id:
                # the records loaded first become a segment of their own
                self._seg_firsts.insert(0, 0)
                self._seg_fds.insert(0, self._raw_fd)
                self._raw_fd = None
            moved = 0
            ends = [*self._seg_firsts[1:], self.total]
            for k, old in enumerate(self._seg_fds):
                if old is not None and old != GONE and _file_id(old) == file_id:
                    self._seg_fds[k] = target
                    moved += ends[k] - self._seg_firsts[k]
                    self._release(old)
            if not moved and fd is not None:
                os.close(fd)
            return moved

    def _release(self, fd: int | None) -> None:
        if fd is None or fd == GONE or fd == self._raw_fd or fd in self._seg_fds:
            return
        os.close(fd)

    def retract_last_line(self, offset: int) -> None:
        """The last line the loader read, starting at byte ``offset``, was not yet whole (no
        newline after it): forget it, so that a follower reads it again once it is (whatever
        was made of it: an invalid record is no longer reported, and no event holds it)."""
        with self._lock:
            self._consolidate()
            if len(self._starts) and np.any(self._starts == offset):
                raise ValueError("the line at that offset is an event")
            k = max(
                (i for i, b in enumerate(self._blocks) if b[0] <= offset and b[1] > 0),
                key=lambda i: self._blocks[i][0],
                default=None,
            )
            if k is None:
                return
            boff, nlines, first = self._blocks[k]
            self._invalid = [e for e in self._invalid if not (e[0] == boff and e[1] == nlines - 1)]
            self._blocks[k] = (boff, nlines - 1, first)

    def holds_line_at(self, offset: int) -> bool:
        """True when an event was read from the line starting at byte ``offset`` of the
        source's own records (its file or buffer)."""
        with self._lock:
            self._consolidate()
            base = self._seg_firsts[0] if self._seg_firsts else self._n
            return bool(len(self._starts) and np.any(self._starts[:base] == offset))

    def add_block(self, source: int, block: BlockResult, texts: TextPart | None) -> None:
        """Append one block of events (from indexer ``source``)."""
        with self._lock:
            et_map = self._etypes.add(source, block.new_etypes)
            ac_map = self._actors.add(source, block.new_actors)
            ws_map = self._workspaces.add(source, block.new_workspaces)
            first = self._n + self._pending_n
            self._blocks.append((block.offset, block.nlines, first))
            self._block_files.append(block.file)
            number = len(self._blocks) - 1
            self._invalid.extend((block.offset, line, why, number) for line, why in block.invalid)
            block.etype = et_map[block.etype] if block.count else block.etype
            block.actor = ac_map[block.actor] if block.count else block.actor
            block.workspace = ws_map[block.workspace] if block.count else block.workspace
            if block.raws is not None:
                block.starts = np.arange(len(self._raws), len(self._raws) + block.count)
                self._raws.extend(block.raws)
                block.raws = None
            self._pending.append(block)
            self._pending_n += block.count
            self.text.add(source, block.count, texts)

    def finish(self, error: str | None = None) -> None:
        with self._lock:
            self.error = error
            self.loading = False
            self.progress = 1.0
            self._consolidate()
            self._sorted_n = -1  # the final order breaks ties by id
            self._sort()
        self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def _consolidate(self) -> None:
        if not self._pending:
            return
        blocks, self._pending, self._pending_n = self._pending, [], 0
        self._ts = np.concatenate([self._ts, *(b.ts for b in blocks)])
        self._et = np.concatenate([self._et, *(b.etype for b in blocks)]).astype(np.int32)
        self._ac = np.concatenate([self._ac, *(b.actor for b in blocks)]).astype(np.int32)
        self._ws = np.concatenate([self._ws, *(b.workspace for b in blocks)]).astype(np.int32)
        self._starts = np.concatenate([self._starts, *(b.starts for b in blocks)])
        self._lengths = np.concatenate([self._lengths, *(b.lengths for b in blocks)])
        self._fc = np.concatenate(
            [
                self._fc,
                *(
                    np.full(b.count, b.file, np.int32) if b.files is None else b.files
                    for b in blocks
                ),
            ]
        ).astype(np.int32)
        self._ln = np.concatenate(
            [
                self._ln,
                *(np.full(b.count, -1, np.int32) if b.lines is None else b.lines for b in blocks),
            ]
        ).astype(np.int32)
        self._n = len(self._ts)

    def _sort(self) -> None:
        """(Re)build the newest-first view; ties in time are broken by id, descending."""
        self._consolidate()
        if self._sorted_n == self._n:
            return
        if self._sorted_n > 0 and not self.loading:
            self._merge_new()
            return
        ts = self._ts
        order = np.argsort(-ts, kind="stable")
        if not self.loading:
            order = self._break_ties(order)
        self._order = order
        pos_of = np.empty(len(order), np.int64)
        pos_of[order] = np.arange(len(order))
        self._pos_of = pos_of
        self._neg_ts = -ts[order]
        self._cols = {
            "event_types": self._et[order],
            "actors": self._ac[order],
            "workspaces": self._ws[order],
            "files": self._fc[order],
        }
        self._sorted_n = self._n
        self._text_cache = None
        self._term_masks = {}

    def _merge_new(self) -> None:
        """Merge the events that arrived after loading into the sorted view: each goes after
        the events of its time already there (then ties are ordered by id, as loading does,
        when there are few); the cached search and word masks are extended by testing only
        the new events."""
        old, n = self._sorted_n, self._n
        ts_new = self._ts[old:n]
        k = np.argsort(-ts_new, kind="stable")
        new_sorted = np.arange(old, n, dtype=np.int64)[k]
        ins = np.searchsorted(self._neg_ts, -ts_new[k], "right")
        on_top = not ins.any()  # the usual case: every new event is newer than the others
        if on_top:
            order = np.concatenate([new_sorted, self._order])
            neg_ts = np.concatenate([-ts_new[k], self._neg_ts])
        else:
            order = np.insert(self._order, ins, new_sorted)
            neg_ts = -self._ts[order]
        perm = self._grown_ties(order, neg_ts, ins + np.arange(len(ins)))
        if perm is not None:
            order = order[perm]
        new_load = np.arange(old, n, dtype=np.int64)

        def extend(mask: np.ndarray, words: tuple[bytes, ...]) -> np.ndarray:
            hits = self._match(words, new_load, None)
            merged = np.insert(mask, ins, np.isin(new_sorted, hits))
            return merged if perm is None else merged[perm]

        cache = self._text_cache
        text_cache = None
        if cache is not None and cache[1] == old:
            text_cache = (cache[0], n, extend(cache[2], cache[0]))
        term_masks: dict[searchlang.Expr, np.ndarray] = {
            expr: extend(mask, encode_words((expr.text,)))
            for expr, mask in self._term_masks.items()
            if isinstance(expr, searchlang.Word)
        }
        if on_top and perm is None:  # shift the old, put the new on top: no scatter, no gather
            added = n - old
            top = np.empty(added, np.int64)
            top[k] = np.arange(added)
            self._pos_of = np.concatenate([self._pos_of + added, top])
            self._cols = {
                name: np.concatenate([column[new_sorted], self._cols[name]])
                for name, column in (
                    ("event_types", self._et),
                    ("actors", self._ac),
                    ("workspaces", self._ws),
                    ("files", self._fc),
                )
            }
        else:
            pos_of = np.empty(n, np.int64)
            pos_of[order] = np.arange(n)
            self._pos_of = pos_of
            self._cols = {
                "event_types": self._et[order],
                "actors": self._ac[order],
                "workspaces": self._ws[order],
                "files": self._fc[order],
            }
        self._order = order
        self._neg_ts = neg_ts
        self._sorted_n = n
        self._text_cache = text_cache
        self._term_masks = term_masks

    def _grown_ties(
        self, order: np.ndarray, neg_ts: np.ndarray, at: np.ndarray
    ) -> np.ndarray | None:
        """A permutation of the merged ``order`` that orders by id (descending) each run of
        equal times holding a new event (sorted positions ``at``); None when nothing moves
        or the runs hold more than :data:`GROW_TIE_LIMIT` events."""
        tied = at[
            ((at > 0) & (neg_ts[np.maximum(at - 1, 0)] == neg_ts[at]))
            | ((at + 1 < len(neg_ts)) & (neg_ts[np.minimum(at + 1, len(neg_ts) - 1)] == neg_ts[at]))
        ]
        if not len(tied):
            return None
        values = np.unique(neg_ts[tied])
        starts = np.searchsorted(neg_ts, values, "left")
        ends = np.searchsorted(neg_ts, values, "right")
        if int((ends - starts).sum()) > GROW_TIE_LIMIT:
            return None
        perm = np.arange(len(order))
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            group = list(range(start, end))
            ids = [self._record_id(int(order[p])) for p in group]
            ranked = sorted(zip(ids, group, strict=True), key=lambda x: x[0], reverse=True)
            perm[start:end] = [p for _, p in ranked]
        return perm

    def _break_ties(self, order: np.ndarray) -> np.ndarray:
        ts_sorted = self._ts[order]
        same = np.flatnonzero(ts_sorted[1:] == ts_sorted[:-1])
        if len(same) == 0 or len(same) > TIE_BREAK_LIMIT:
            return order  # (whole-second sources tie everywhere: keep the file's order)
        order = order.copy()
        starts = same[np.r_[True, np.diff(same) > 1]]
        for start in starts.tolist():
            end = start + 1
            while end < len(ts_sorted) and ts_sorted[end] == ts_sorted[start]:
                end += 1
            group = order[start:end].tolist()
            ids = [self._record_id(g) for g in group]
            ranked = sorted(zip(ids, group, strict=True), key=lambda x: x[0], reverse=True)
            order[start:end] = [g for _, g in ranked]
        return order

    def _record_id(self, g: int) -> str:
        try:
            rec = load_json(self._raw(g))
        except ValueError:
            return ""
        value = self.native(rec).get("id") if isinstance(rec, dict) else None
        return "" if value is None else str(value)

    def _view(self) -> None:
        with self._lock:
            self._sort()

    # -- raw records and rows ----------------------------------------------------------

    def _raw(self, g: int) -> bytes:
        if self._seg_firsts and g >= self._seg_firsts[0]:
            fd = self._seg_fds[bisect_right(self._seg_firsts, g) - 1]
            if fd is None:
                return self._raws[int(self._starts[g])]
            if fd == GONE:
                return self._gone_record(g)
            return os.pread(fd, int(self._lengths[g]), int(self._starts[g]))
        if self._files:
            return self._file_raw(g)
        if self._raw_fd is not None:
            return os.pread(self._raw_fd, int(self._lengths[g]), int(self._starts[g]))
        if self._raw_buffer is not None:
            start = int(self._starts[g])
            return self._raw_buffer[start : start + int(self._lengths[g])]
        return self._raws[int(self._starts[g])]

    def _file_raw(self, g: int) -> bytes:
        number = int(self._fc[g])
        f = self._files[number]
        start, length = int(self._starts[g]), int(self._lengths[g])
        if f.buffer is not None:
            return f.buffer[start : start + length]
        if f.path is not None:
            return self._open_files.pread(number, f, length, start)
        return self._raws[start]

    def _gone_record(self, g: int) -> bytes:
        """What the index holds of an event whose record was truncated away, as a record."""

        def named(key: Any) -> dict[str, str] | None:
            if key is None:
                return None
            p = party_of(key)
            return {k: v for k, v in zip(("id", "name", "email", "type"), p, strict=True) if v}

        record = {
            "audited_at": iso_ms(int(self._ts[g])),
            "event_type": str(self._etypes.values[int(self._et[g])]),
            "actor": named(self._actors.values[int(self._ac[g])]),
            "workspace": named(self._workspaces.values[int(self._ws[g])]),
            "audit_tui": (
                "the original record is gone: the file was truncated before it was read "
                "again and no rotated copy of it was found; this is what the index holds"
            ),
        }
        return orjson.dumps(record)

    # -- events by load index (names that stay when events arrive) ---------------------

    @contextmanager
    def steady(self) -> Iterator[None]:
        """Positions stay as they are inside (events that arrive meanwhile are merged after):
        for a few calls that hand positions on, such as a search, its sort and its facets."""
        if self.loading:  # (the loader needs the lock; nothing is followed while loading)
            yield
            return
        with self._lock:
            yield

    def events_at(self, positions: np.ndarray) -> np.ndarray:
        """The load indices of sorted positions (of the order the last query saw)."""
        with self._lock:
            order: np.ndarray = self._order[np.asarray(positions, dtype=np.int64)]
            return order

    def position_of(self, event: int) -> int:
        """Where the event with load index ``event`` is in the order of now."""
        with self._lock:
            self._view()
            return int(self._pos_of[event])

    def event_raw(self, event: int) -> bytes:
        """The original record of the event with load index ``event``."""
        return self._raw(int(event))

    def event_row(self, event: int) -> Row:
        value = load_json(self._raw(int(event)))
        return flatten(self.native(value if isinstance(value, dict) else {"value": value}))

    def raw(self, position: int) -> bytes:
        """The original record at a sorted position, exactly as the source wrote it."""
        return self._raw(int(self._order[position]))

    def event_raws(self, events: np.ndarray) -> list[bytes]:
        """:meth:`event_raw` of many load indices; records of one file that lie close together
        (an export in time order of a file in time order) are read with one read."""
        g = np.asarray(events, dtype=np.int64)
        if self._raw_fd is None or self._files or self._seg_firsts or not len(g):
            return [self._raw(int(i)) for i in g.tolist()]
        starts, lengths = self._starts[g], self._lengths[g]
        lo, hi = int(starts.min()), int((starts + lengths).max())
        if hi - lo > max(2 * int(lengths.sum()), 1 << 16) or hi - lo > RAWS_SPAN:
            return [self._raw(int(i)) for i in g.tolist()]
        span = os.pread(self._raw_fd, hi - lo, lo)
        return [
            span[a : a + n] for a, n in zip((starts - lo).tolist(), lengths.tolist(), strict=True)
        ]

    def record(self, position: int) -> dict[str, Any]:
        value = load_json(self.raw(position))
        return value if isinstance(value, dict) else {"value": value}

    def row(self, position: int) -> Row:
        return flatten(self.native(self.record(position)))

    def rows(self, positions: Sequence[int] | np.ndarray) -> list[Row]:
        return [self.row(int(p)) for p in positions]

    @property
    def total(self) -> int:
        with self._lock:
            return self._n + self._pending_n

    @property
    def skipped(self) -> list[Skipped]:
        """Invalid records with their absolute line numbers (exact once loading is done); in a
        source of several files, each with its file, in the order the files were given."""
        with self._lock:
            bases = self._line_bases()
            out = [
                Skipped(bases[b] + line + 1, why, *self._file_label(self._block_files[b]))
                for _, line, why, b in self._invalid
            ]
        rank = {f.name: i for i, f in enumerate(self._files)}
        out.sort(key=lambda s: (rank.get(s.file, 0), s.line))
        return out

    def _file_label(self, number: int) -> tuple[str, str]:
        """(unit, file name for messages) of file ``number``; no name for a single file."""
        if not self._files:
            return self.unit, ""
        f = self._files[number]
        return f.unit, f.name

    def _line_bases(self) -> list[int]:
        """The 0-based number of each block's first line within its file (call with the lock
        held). Blocks of a file arrive in any order (the parallel loader reads backwards)."""
        n = len(self._blocks)
        cached = self._bases
        if cached[0] == n:
            return cached[1]
        order = sorted(range(n), key=lambda b: (self._block_files[b], self._blocks[b][0]))
        bases = [0] * n
        base, current = 0, -1
        for b in order:
            if self._block_files[b] != current:
                base, current = 0, self._block_files[b]
            bases[b] = base
            base += self._blocks[b][1]
        self._bases = (n, bases)
        return bases

    def origin(self, position: int) -> tuple[str, str, int | None]:
        """Where the event at a sorted position comes from: (its file, "line" or "record",
        its 1-based number in the file, None when not known)."""
        with self._lock:
            self._view()
            return self.event_origin(int(self._order[position]))

    def event_origin(self, event: int) -> tuple[str, str, int | None]:
        """:meth:`origin` of the event with load index ``event``."""
        with self._lock:
            self._consolidate()
            g = int(event)
            firsts = self._firsts
            if len(firsts) != len(self._blocks):
                firsts = self._firsts = np.asarray([b[2] for b in self._blocks], np.int64)
            b = int(np.searchsorted(firsts, g, "right")) - 1
            number = int(self._fc[g])
            name = self._files[number].name if self._files else self.label
            unit = self._files[number].unit if self._files else self.unit
            line = int(self._ln[g])
            if line < 0 or b < 0:
                return name, unit, None
            return name, unit, self._line_bases()[b] + line + 1

    def event_times_and_types(self, events: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """The epoch ms and the event type of the events with these load indices, from the
        index (what a row would read again from the record)."""
        with self._lock:
            self._consolidate()
            g = np.asarray(events, dtype=np.int64)
            values = self._etypes.values
            return self._ts[g], [values[c] for c in self._et[g].tolist()]

    def event_origins(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`event_origin` of many load indices at once: each one's file number (see
        :meth:`file_names`) and 1-based line or record number (0 when not known)."""
        with self._lock:
            self._consolidate()
            g = np.asarray(events, dtype=np.int64)
            firsts = self._firsts
            if len(firsts) != len(self._blocks):
                firsts = self._firsts = np.asarray([b[2] for b in self._blocks], np.int64)
            blocks = np.searchsorted(firsts, g, "right") - 1
            bases = np.asarray(self._line_bases(), np.int64)
            inside = self._ln[g].astype(np.int64)
            known = (inside >= 0) & (blocks >= 0)
            lines = np.where(known, bases[np.maximum(blocks, 0)] + inside + 1, 0)
            return self._fc[g], lines

    def file_names(self) -> list[str]:
        """The name of each file of the source, by number (the label for one file)."""
        with self._lock:
            return [f.name for f in self._files] if self._files else [self.label]

    @property
    def skipped_count(self) -> int:
        return len(self._invalid)

    # -- queries ---------------------------------------------------------------------

    def _lookup(self, facet: str) -> dict[str, list[int]]:
        """lower-cased value -> codes, for matching facet selections."""
        table = self._table(facet)
        cached = self._lookups.get(facet)
        if cached is not None and cached[0] == len(table.values):
            return cached[1]
        out: dict[str, list[int]] = {}
        for code, key in enumerate(table.values):
            for name in selection_names(facet, key):
                out.setdefault(name, []).append(code)
        self._lookups[facet] = (len(table.values), out)
        return out

    def _table(self, facet: str) -> _Dict:
        return {
            "actors": self._actors,
            "event_types": self._etypes,
            "workspaces": self._workspaces,
        }[facet]

    def _facet_mask(
        self, facet: str, values: frozenset[str], lo: int, hi: int
    ) -> np.ndarray | None:
        if not values:
            return None
        lookup = self._lookup(facet)
        selected = np.zeros(len(self._table(facet).values) + 1, bool)
        for v in values:
            for code in lookup.get(fold(v), ()):
                selected[code] = True
        mask: np.ndarray = selected[self._cols[facet][lo:hi]]
        return mask

    def _bounds(self, query: Query, now: datetime) -> tuple[int, int]:
        window = query.window(now)
        neg = self._neg_ts
        lo = 0 if window.until is None else int(np.searchsorted(neg, -window.until, "right"))
        hi = len(neg) if window.since is None else int(np.searchsorted(neg, -window.since, "right"))
        return lo, max(lo, hi)

    def _text_mask(self, words: tuple[str, ...]) -> np.ndarray:
        """Sorted-order mask of the events whose values hold every word (cached)."""
        enc = encode_words(words)
        cache = self._text_cache
        if cache is not None and cache[0] == enc and cache[1] == self._sorted_n:
            return cache[2]
        candidates = None
        if cache is not None and cache[1] == self._sorted_n and extends(enc, cache[0]):
            candidates = self._order[cache[2]]
            candidates.sort()
        hits = self._match(enc, candidates, None)
        mask = np.zeros(self._sorted_n, bool)
        mask[self._pos_of[hits]] = True
        self._text_cache = (enc, self._sorted_n, mask)
        return mask

    def _match(
        self, words: tuple[bytes, ...], candidates: np.ndarray | None, limit: int | None
    ) -> np.ndarray:
        """Load indices whose values hold every word. Words with JSON punctuation are scanned
        by their fragments, then checked exactly on the parsed record (rare)."""
        odd = [w for w in words if needs_verify(w)]
        if not odd:
            return self.text.match(words, candidates, limit)
        scan = tuple(w for w in words if not needs_verify(w)) + tuple(
            f for w in odd for f in fragments(w)
        )
        hits = self.text.match(scan, candidates, None)
        keep: list[int] = []
        for g in hits.tolist():
            raw = self._raw(g)
            text = record_text(load_json(raw), raw)
            if all(w in text for w in odd):
                keep.append(g)
                if limit is not None and len(keep) >= limit:
                    break
        return np.asarray(keep, dtype=np.int64)

    def _conditions(
        self, query: Query, now: datetime, skip: str | None = None, text: bool = True
    ) -> tuple[int, int, np.ndarray | None]:
        lo, hi = self._bounds(query, now)
        mask: np.ndarray | None = None
        for facet in ("actors", "event_types", "workspaces"):
            if facet == skip:
                continue
            m = self._facet_mask(facet, query.facet(facet), lo, hi)
            if m is not None:
                mask = m if mask is None else (mask & m)
        if text and query.plain and query.words:
            tm = self._text_mask(query.words)[lo:hi]
            mask = tm if mask is None else (mask & tm)
        if not query.plain:
            em = self.expr_mask(query.expr, now)[lo:hi]
            mask = em if mask is None else (mask & em)
        return lo, hi, mask

    def search(self, query: Query, now: datetime | None = None) -> Result:
        """Every matching event, newest first."""
        now = now or utcnow()
        if query.text:
            self.text.wait_ready()  # outside the lock: loading needs it
        with self._lock:
            self._view()
            lo, hi, mask = self._conditions(query, now)
            positions = np.arange(lo, hi) if mask is None else np.flatnonzero(mask) + lo
            return Result(positions, self._sorted_n, self._order)

    def first(self, query: Query, limit: int, now: datetime | None = None) -> Result:
        """The newest ``limit`` matches, fast even when the text is new (no full count)."""
        now = now or utcnow()
        if not query.plain:  # the language: one full evaluation (its term masks are cached)
            result = self.search(query, now)
            return Result(result.positions[:limit], result.total, result.order)
        if query.words:
            self.text.wait_ready()
        with self._lock:
            self._view()
            enc = encode_words(query.words)
            cache = self._text_cache
            if not enc or (cache is not None and cache[0] == enc and cache[1] == self._sorted_n):
                result = self.search(query, now)
                return Result(result.positions[:limit], result.total, result.order)
            lo, hi, mask = self._conditions(query, now, text=False)
            if cache is not None and cache[1] == self._sorted_n and extends(enc, cache[0]):
                # The new words narrow a cached search: only its hits can match.
                narrowed = cache[2][lo:hi] if mask is None else (cache[2][lo:hi] & mask)
                positions = np.flatnonzero(narrowed) + lo
                hits = self._match(enc, self._order[positions[: max(limit * 40, 4000)]], limit)
                if len(hits) >= limit or len(positions) <= max(limit * 40, 4000):
                    return Result(np.sort(self._pos_of[hits])[:limit], self._sorted_n, self._order)
            elif not any(needs_verify(w) for w in enc):
                # Newest parts first; stops once no older part can hold a newer match.
                everything = mask is None and lo == 0 and hi == self._sorted_n
                allowed = None
                if not everything:
                    positions = np.arange(lo, hi) if mask is None else np.flatnonzero(mask) + lo
                    allowed = np.zeros(self._sorted_n, bool)
                    allowed[self._order[positions]] = True
                hits = self.text.newest(enc, allowed, limit)
                found = np.sort(self._pos_of[hits])
                if everything and len(found) < limit:  # the scan saw every event: cache it
                    text_mask = np.zeros(self._sorted_n, bool)
                    text_mask[found] = True
                    self._text_cache = (enc, self._sorted_n, text_mask)
                return Result(found[:limit], self._sorted_n, self._order)
        # Words with JSON punctuation, or narrowing that found too little: one full scan
        # (cached, so the count that follows is free).
        result = self.search(query, now)
        return Result(result.positions[:limit], result.total, result.order)

    def count(self, query: Query, now: datetime | None = None) -> int:
        return self.search(query, now).count

    def facets(self, query: Query, now: datetime | None = None) -> Facets:
        """For each facet, the count each value would give with all *other* conditions."""
        now = now or utcnow()
        if query.text:
            self.text.wait_ready()
        with self._lock:
            self._view()
            out: dict[str, list[FacetValue]] = {}
            for facet, table in (
                ("actors", self._actors),
                ("event_types", self._etypes),
                ("workspaces", self._workspaces),
            ):
                lo, hi, mask = self._conditions(query, now, skip=facet)
                codes = self._cols[facet][lo:hi]
                if mask is not None:
                    codes = codes[mask]
                counts = np.bincount(codes, minlength=len(table.values))
                out[facet] = self._facet_values(facet, table.values, counts, query.facet(facet))
            return Facets(out["actors"], out["event_types"], out["workspaces"])

    def _facet_values(
        self, facet: str, keys: list[Any], counts: np.ndarray, selected: frozenset[str]
    ) -> list[FacetValue]:
        """One entry per value a user can select, with exactly the count selecting it gives
        (an actor value matches ids, emails and names, so these can overlap)."""
        lookup = self._lookup(facet)
        entries: dict[str, FacetValue] = {}
        for key in keys:
            value, label, kind = describe(facet, key)
            norm = fold(value)
            if norm in entries:
                continue
            n = int(sum(int(counts[c]) for c in lookup.get(norm, ())))
            names = frozenset(selection_names(facet, key))
            entries[norm] = FacetValue(value, label, n, kind, names)
        sel = {fold(v) for v in selected}
        values = [f for norm, f in entries.items() if f.count > 0 or norm in sel]
        values.sort(key=lambda f: (-f.count, f.label.lower()))
        return values

    def count_by(
        self, query: Query, field: str, now: datetime | None = None
    ) -> list[tuple[str, int]]:
        """``--count-by``: (value, count) of the matching events per ``field`` (see countby)."""
        result = self.search(query, now)
        with self._lock:
            positions = result.positions
            if field in countby.TIME_FIELDS:
                return countby.time_buckets(-self._neg_ts[positions], field)
            if field == "file":
                names = [f.name for f in self._files] if self._files else [self.label]
                per_file = np.bincount(self._cols["files"][positions], minlength=len(names))
                return countby.ranked(
                    Counter({names[i]: int(n) for i, n in enumerate(per_file.tolist()) if n})
                )
            facet = {"actor": "actors", "event_type": "event_types", "workspace": "workspaces"}
            if field not in facet:
                return countby.count_rows(self.rows(positions), field)
            table = self._table(facet[field])
            counts = np.bincount(self._cols[facet[field]][positions], minlength=len(table.values))
            out: Counter[str] = Counter()
            for code in np.flatnonzero(counts).tolist():
                key = table.values[code]
                value = (
                    str(key) if field == "event_type" else countby.party_value(field, party_of(key))
                )
                out[value] += int(counts[code])
            return countby.ranked(out)

    # -- sorting -----------------------------------------------------------------------------

    def sort_positions(
        self, positions: np.ndarray, column: str, descending: bool = False
    ) -> np.ndarray:
        """``positions`` (sorted positions, newest first) ordered by ``column``.

        ``audited_at``: newest first (``descending``: oldest first). ``event_type``, ``actor``,
        ``workspace``: A to Z by the text the table shows, any case (``descending``: Z to A),
        on the index: one ``argsort``. Equal values keep the newest first.

        ``resource`` and ``organization`` are not in the index: their values are read from the
        matches' rows, at most :data:`SORT_READ_LIMIT` of them (:class:`SortError` past it)."""
        positions = np.asarray(positions, dtype=np.int64)
        if column == "audited_at":
            return positions[::-1].copy() if descending else positions
        facet = {"event_type": "event_types", "actor": "actors", "workspace": "workspaces"}
        if column in facet:
            with self._lock:
                self._view()
                ranks = self._ranks(facet[column])
                keys = ranks[self._cols[facet[column]][positions]]
        elif column in ("resource", "organization"):
            if len(positions) > SORT_READ_LIMIT:
                raise SortError(
                    f"sorting by {column} reads every match: narrow the view to "
                    f"{SORT_READ_LIMIT:,} events or fewer (it has {len(positions):,})"
                )
            values = [_sort_text(column, self.row(int(p))) for p in positions]
            order = sorted(range(len(values)), key=values.__getitem__)
            keys = np.empty(len(values), np.int64)
            keys[order] = np.arange(len(values))
            # equal texts share a rank so that the newest stays first among them
            for i in range(1, len(order)):
                if values[order[i]] == values[order[i - 1]]:
                    keys[order[i]] = keys[order[i - 1]]
        else:
            raise SortError(f"cannot sort by {column!r}")
        if descending:
            keys = -keys
        return positions[np.argsort(keys, kind="stable")]

    def _ranks(self, facet: str) -> np.ndarray:
        """Each code's rank in the order of the labels (any case); call with the lock held."""
        table = self._table(facet)
        cached = self._rank_cache.get(facet)
        if cached is not None and len(cached) == len(table.values):
            return cached
        labels = [_label_text(facet, key) for key in table.values]
        order = sorted(range(len(labels)), key=labels.__getitem__)
        ranks = np.empty(len(labels), np.int64)
        ranks[order] = np.arange(len(labels))
        self._rank_cache[facet] = ranks
        return ranks

    # -- the search language ---------------------------------------------------------------

    def expr_mask(self, expr: searchlang.Expr, now: datetime) -> np.ndarray:
        """Sorted-order mask of the events a search-language tree matches (a new array; call
        with the lock held and the view sorted). Field terms read the dictionary-coded columns,
        words and phrases the text index, other terms parse the text index's candidates only."""
        if isinstance(expr, searchlang.And):
            mask = np.ones(self._sorted_n, bool)
            words = [i for i in expr.items if isinstance(i, searchlang.Word)]
            rest = list(expr.items)
            if len(words) > 1:  # one text scan for all of them
                mask &= self._words_mask(tuple(w.text for w in words))
                rest = [i for i in expr.items if not isinstance(i, searchlang.Word)]
            for item in rest:
                mask &= self.expr_mask(item, now)
            return mask
        if isinstance(expr, searchlang.Or):
            mask = np.zeros(self._sorted_n, bool)
            for item in expr.items:
                mask |= self.expr_mask(item, now)
            return mask
        if isinstance(expr, searchlang.Not):
            return ~self.expr_mask(expr.item, now)
        if isinstance(expr, searchlang.Time):
            bound = parse_when(expr.spec, now, end=expr.bound == "until")
            ms = (bound - EPOCH) // timedelta(milliseconds=1)
            return (-self._neg_ts >= ms) if expr.bound == "since" else (-self._neg_ts < ms)
        cached = self._term_masks.get(expr)
        if cached is None:
            if isinstance(expr, searchlang.Word):
                cached = self._words_mask((expr.text,))
            elif isinstance(expr, searchlang.Field) and expr.name in COLUMN_FIELDS:
                cached = self._field_mask(COLUMN_FIELDS[expr.name], expr.value)
            elif isinstance(expr, searchlang.Field) and expr.name == "file":
                cached = self._file_mask(expr.value)
            else:
                cached = self._verified_mask(expr)
            if len(self._term_masks) >= 64:
                self._term_masks.clear()
            self._term_masks[expr] = cached
        return cached.copy()

    def _words_mask(self, words: tuple[str, ...]) -> np.ndarray:
        hits = self._match(encode_words(words), None, None)
        mask = np.zeros(self._sorted_n, bool)
        mask[self._pos_of[hits]] = True
        return mask

    def _field_mask(self, facet: str, value: str) -> np.ndarray:
        """The events whose ``facet`` entry holds ``value`` (any case) in its id, name (and an
        actor's email); an event type in its name."""
        table = self._table(facet)
        needle = value.lower()
        selected = np.zeros(len(table.values) + 1, bool)
        for code, key in enumerate(table.values):
            if facet == "event_types":
                texts: tuple[str, ...] = (str(key),)
            else:
                p = party_of(key)
                texts = (p.id, p.name, p.email) if facet == "actors" else (p.id, p.name)
            selected[code] = any(needle in t.lower() for t in texts)
        mask: np.ndarray = selected[self._cols[facet]]
        return mask

    def _file_mask(self, value: str) -> np.ndarray:
        """The events of the files whose name holds ``value`` (any case)."""
        needle = value.lower()
        names = [f.name for f in self._files] if self._files else [self.label]
        selected = np.asarray([needle in name.lower() for name in names], bool)
        mask: np.ndarray = selected[self._cols["files"]]
        return mask

    def _verified_mask(self, term: searchlang.Expr) -> np.ndarray:
        """A term read from the record itself (a path, resource, org, id): the text index
        gives the events holding the value somewhere, and only those are parsed. Foreign
        formats can make up a resource or org from other values, so they parse everything."""
        assert isinstance(term, searchlang.Field | searchlang.Path)
        if isinstance(term, searchlang.Path) or ": " not in self.format_name:
            candidates = self._match(encode_words((term.value,)), None, None)
        else:
            candidates = np.arange(self._sorted_n)
        keep = [g for g in candidates.tolist() if self._holds(g, term)]
        mask = np.zeros(self._sorted_n, bool)
        mask[self._pos_of[np.asarray(keep, dtype=np.int64)]] = True
        return mask

    def _holds(self, g: int, term: searchlang.Field | searchlang.Path) -> bool:
        try:
            record = load_json(self._raw(g))
        except ValueError:
            return False
        if isinstance(term, searchlang.Path):
            return searchlang.path_holds(record, term.keys, term.value)
        if not isinstance(record, dict):
            return False
        native = self.native(record)
        needle = term.value.lower()
        if term.name == "id":
            value = native.get("id")
            texts: tuple[str, ...] = ("" if value is None else str(value),)
        else:
            p = party(native.get("resource" if term.name == "resource" else "organization"))
            texts = (p.type, p.id, p.name) if term.name == "resource" else (p.id, p.name)
        return any(needle in t.lower() for t in texts)

    def remove_on_close(self, path: str) -> None:
        self._temp_files.append(path)

    def close(self) -> None:
        self.text.close()
        self._open_files.close()
        if self._raw_fd is not None:
            os.close(self._raw_fd)
            self._raw_fd = None
        for fd in set(self._seg_fds):
            if fd is not None and fd != GONE:
                os.close(fd)
        self._seg_fds = [GONE if fd is not None else None for fd in self._seg_fds]
        for path in self._temp_files:
            try:
                os.unlink(path)
            except OSError:
                pass
        self._temp_files = []

    # -- the shape of the events in time (the browser's timeline, widths, years) ----------

    def time_span(self) -> tuple[int, int] | None:
        """(oldest, newest) epoch ms of the events loaded so far; None when there are none."""
        with self._lock:
            self._view()
            if not len(self._neg_ts):
                return None
            return int(-self._neg_ts[-1]), int(-self._neg_ts[0])

    def longest_event_type(self) -> int:
        """Characters of the longest event type loaded so far (0 when there are none)."""
        with self._lock:
            return max((len(str(v)) for v in self._etypes.values), default=0)

    def histogram(
        self, query: Query, start: int, step: int, buckets: int, now: datetime | None = None
    ) -> np.ndarray:
        """Matches of ``query`` (every condition) per time bucket: ``buckets`` counts, bucket
        ``i`` holding the events in ``[start + i*step, start + (i+1)*step)`` ms (one
        ``bincount`` over the matching timestamps; the browser's timeline)."""
        now = now or utcnow()
        if query.words:
            self.text.wait_ready()
        with self._lock:
            self._view()
            lo, hi, mask = self._conditions(query, now)
            neg = self._neg_ts[lo:hi]
            if mask is None:  # every event in the range: the sorted times give the edges
                edges = -(start + np.arange(buckets + 1, dtype=np.int64) * step)
                ends = np.searchsorted(neg, edges, "right")
                return (ends[:-1] - ends[1:]).astype(np.int64)
            neg = neg[mask]
            slot = (-neg - start) // max(1, step)
            slot = slot[(slot >= 0) & (slot < buckets)]
            counts: np.ndarray = np.bincount(slot, minlength=buckets)[:buckets]
            return counts


# Bucket sizes of a timeline, smallest first: a minute up to about a month.
MINUTE_MS = 60_000
BUCKET_STEPS = (
    MINUTE_MS,
    5 * MINUTE_MS,
    15 * MINUTE_MS,
    30 * MINUTE_MS,
    60 * MINUTE_MS,
    3 * 60 * MINUTE_MS,
    6 * 60 * MINUTE_MS,
    12 * 60 * MINUTE_MS,
    24 * 60 * MINUTE_MS,
    2 * 24 * 60 * MINUTE_MS,
    3 * 24 * 60 * MINUTE_MS,
    7 * 24 * 60 * MINUTE_MS,
    14 * 24 * 60 * MINUTE_MS,
    30 * 24 * 60 * MINUTE_MS,
)


def time_buckets(since: int, until: int, slots: int) -> tuple[int, int, int]:
    """(start, step, buckets) covering ``[since, until)`` ms in at most ``slots`` buckets.

    The step is the smallest round size that fits (a minute … about a month, aligned to whole
    sizes since the epoch: whole UTC days for a day) when its buckets fill at least
    :data:`FILL` of the width; otherwise (a span that would leave much of the strip empty)
    whole minutes are shared out evenly so the buckets fill it."""
    slots = max(1, slots)
    until = max(until, since + 1)

    def needed(step: int) -> int:
        return -(-(until - (since - since % step)) // step)

    step = next((s for s in BUCKET_STEPS if needed(s) <= slots), 0)
    if step and (needed(step) >= FILL * slots or step == MINUTE_MS):
        start = since - since % step
        return start, step, max(1, min(slots, needed(step)))
    # an even share of whole minutes: the buckets fill the width
    start = since - since % MINUTE_MS
    step = -(-(until - start) // slots)
    step = -(-step // MINUTE_MS) * MINUTE_MS
    return start, step, max(1, min(slots, -(-(until - start) // step)))


FILL = 0.9  # round buckets are used when they fill this much of the timeline's width


def _file_id(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino
