"""Follow a source of JSON lines as it grows: the new lines join the store without a reload.

A :class:`Follower` is polled (by the browser's worker, ``audit-tui query --follow``'s loop):
each :meth:`~Follower.poll` reads what arrived since the last one, indexes the whole lines
into the store (:meth:`Store.grow`) and says how many events came and what happened.

- **A file** (:class:`FileFollower`) is read from where the loader stopped. A line without its
  newline yet waits for it. *Truncation* (the file shrank, or its first bytes or the bytes
  before where reading stopped changed: ``copytruncate`` and a writer that already wrote
  again) is detected and the file is read again from its start; the records of the events read
  before are then read from the rotated copy when one is found beside the file (same first
  bytes, as long as what was read), which also gives the lines written between the last poll
  and the copy. *Rotation* (the path names another file, logrotate's ``create``) is detected,
  the old file is read on to its end (and for :data:`DRAIN_SECONDS` more while a writer still
  has it open) and the new one from its start. No event is read twice or skipped.
- **A gzip file** (:class:`GzipFollower`) is decompressed as it grows (members appended, or a
  writer that flushes its stream); its new records are kept in memory.
- **Standard input or a named pipe** (:class:`StreamFollower`) is followed when it is opened
  with follow on (:func:`open_stream`): what is there at first is loaded, the rest arrives.

Invalid lines are skipped and counted as when loading; their line numbers count on from the
lines read before, across a rotation (the old file's lines, then the new one's).
"""

from __future__ import annotations

import os
import select
import stat
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import orjson

from audit_tui.sources.blocks import MAX_LINE_BYTES, BlockIndexer
from audit_tui.sources.file import (
    BOM,
    SourceError,
    is_stream,
    open_data,
)
from audit_tui.sources.lines import SCAN
from audit_tui.store import Store

BLOCK = 4 * 1024 * 1024  # bytes read (and indexed) at a time
DRAIN_SECONDS = 10.0  # a rotated file is read on while it grew within this long
MARK = 64  # bytes before the read position that must stay as they were (else: truncated)
HEAD = 4096  # first bytes of a file that must stay as they were
FILE_STEP = 1 << 40  # line numbering: the offsets of a file after a rotation start past this
STREAM_READ = 16 * 1024 * 1024  # at most this much of a pipe per poll
FIRST_WAIT = 0.3  # opening a pipe with follow on: load what arrives until it pauses this long


class FollowError(Exception):
    """Following is not possible for this source: the message is one line for the user."""


@dataclass
class Arrival:
    """What one poll brought."""

    events: int = 0  # events added to the store
    skipped: int = 0  # invalid records among the new lines
    notes: list[str] = field(default_factory=list)  # rotated, truncated… (for the user)
    ended: bool = False  # nothing more can arrive (a pipe was closed)


class Follower(Protocol):
    label: str

    def poll(self) -> Arrival: ...

    def close(self) -> None: ...


def follower_for(store: Store, *, max_line: int = MAX_LINE_BYTES) -> Follower:
    """The follower of a loaded ``store`` (loading must be finished), or :class:`FollowError`
    saying why its source cannot be followed."""
    spec = store.source
    if store.file_count > 1:
        raise FollowError(f"{store.label}: several files cannot be followed yet; open one")
    if spec == "":
        raise FollowError("the bundled sample does not grow; follow a file, a pipe or an API")
    if spec is None:
        raise FollowError(f"{store.label}: this source cannot be followed")
    if store.loading:
        raise FollowError(f"{store.label}: still loading; follow once it is loaded")
    if spec == "-" or is_stream(spec):
        what = "standard input" if spec == "-" else spec
        raise FollowError(
            f"{what} was read to its end when it was opened; to follow a pipe, open it with "
            "--follow"
        )
    if store.extent is None:
        raise FollowError(
            f"{store.label}: cannot follow {store.format_name or 'this file'}; only JSON lines "
            "grow by whole records"
        )
    path = Path(spec).expanduser()
    try:
        with open(path, "rb") as f:
            magic = f.read(2)
    except OSError as exc:
        raise FollowError(f"{spec}: cannot follow ({exc.strerror})") from None
    if magic == b"\x1f\x8b":
        return GzipFollower(store, str(path), max_line=max_line)
    return FileFollower(store, str(path), max_line=max_line)


def _file_id(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _path_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None  # (between a rotation's rename and the new file's creation)
    return st.st_dev, st.st_ino


class _Feed:
    """Whole lines of the followed source into the store, with one indexer throughout (its
    dictionary codes are the store's source ``source``)."""

    def __init__(self, store: Store, max_line: int) -> None:
        self.store = store
        self.indexer = BlockIndexer(store_forced(store), max_line)
        self.source = store.new_source()

    def lines(self, data: bytes, offset: int, numbering: int, memory: bool) -> tuple[int, int]:
        """Index ``data`` (whole lines at byte ``offset`` of their file or stream); the block
        is numbered at ``numbering + offset``. ``memory``: keep the records in the store's
        memory (else it reads them from its file at their offsets)."""
        result, texts = self.indexer.index_block(data, offset)
        if memory:
            result.raws = [
                data[s - offset : s - offset + n]
                for s, n in zip(result.starts.tolist(), result.lengths.tolist(), strict=True)
            ]
        result.offset += numbering
        self.store.grow(self.source, result, texts)
        return result.count, len(result.invalid)

    def long_line(self, offset: int) -> int:
        result, texts = self.indexer.long_line(offset)
        self.store.grow(self.source, result, texts)
        return 1


def store_forced(store: Store) -> str | None:
    """The format the store's non-native records are read as (``--input-format``)."""
    native = store.native
    keywords = getattr(native, "keywords", None)
    return keywords.get("forced") if isinstance(keywords, dict) else None


# -- a plain file ---------------------------------------------------------------------------


class _Tail:
    """One file being read: where reading stopped and what the bytes before it were."""

    def __init__(self, fd: int, pos: int, numbering: int, max_line: int, name: str = "") -> None:
        self.fd = fd
        self.id = _file_id(fd)
        self.pos = pos
        self.numbering = numbering
        self.max_line = max_line
        self.name = name
        self.skip_line = False  # the rest of a line read (as an event) before it ended
        self.long_from: int | None = None  # a line longer than max_line starts here
        self.scanned = 0  # how far its end was looked for
        self.store_fd: int | None = None  # the store reads this file's records through it
        self.grew_at = time.monotonic()
        self.head = b""
        self.mark = b""
        self._remember()

    def _remember(self) -> None:
        self.head = os.pread(self.fd, min(self.pos, HEAD), 0)
        n = min(self.pos, MARK)
        self.mark = os.pread(self.fd, n, self.pos - n)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def truncated(self) -> bool:
        """The bytes read so far are no longer there (the file shrank, or was cut and written
        again past where reading stopped)."""
        if self.size() < self.pos:
            return True
        return not self.holds_same(self.fd)

    def holds_same(self, fd: int) -> bool:
        """True when the file ``fd`` holds the bytes this one had, up to ``pos``, where they
        were (its first bytes and those before ``pos``)."""
        try:
            if os.fstat(fd).st_size < self.pos:
                return False
            n = len(self.mark)
            return (
                os.pread(fd, len(self.head), 0) == self.head
                and os.pread(fd, n, self.pos - n) == self.mark
            )
        except OSError:
            return False

    def runs(self, final: bool = False) -> Iterator[tuple[int, bytes | None]]:
        """(offset, whole lines) from ``pos`` to the end of the file, moving ``pos`` past
        them; ``None`` for a line longer than the limit (skipped unread). ``final``: the file
        will not grow again, so a last line without its newline is a line."""
        size = self.size()
        start = self.pos
        while self.pos < size:
            if self.long_from is not None:
                end = self._line_end(self.scanned, size)
                if end < 0:
                    if not final:
                        break
                    end = size
                yield self.long_from, None
                self.pos, self.long_from = end, None
                continue
            data = os.pread(self.fd, min(BLOCK, size - self.pos), self.pos)
            if not data:
                break
            cut = data.rfind(b"\n")
            if cut >= 0:
                data = data[: cut + 1]
            else:  # no whole line in the block
                end = self._line_end(self.pos + len(data), size)
                if end < 0 and final:
                    end = size
                if end < 0:
                    if size - self.pos > self.max_line:
                        self.long_from = self.pos  # too long already: find its end later
                    break
                if end - self.pos > self.max_line + 1:
                    yield self.pos, None
                    self.pos = end
                    continue
                data = os.pread(self.fd, end - self.pos, self.pos)
            if self.skip_line:
                self.skip_line = False
                rest = data.find(b"\n") + 1 or len(data)
                self.pos += rest
                data = data[rest:]
                if not data:
                    continue
            yield self.pos, data
            self.pos += len(data)
        if self.pos != start:
            self.grew_at = time.monotonic()
            self._remember()

    def _line_end(self, frm: int, size: int) -> int:
        """The offset past the newline of the line being read, looking from ``frm``; -1 when
        it has not arrived (``scanned`` remembers how far it was looked for)."""
        pos = frm
        while pos < size:
            chunk = os.pread(self.fd, min(SCAN, size - pos), pos)
            if not chunk:
                break
            cut = chunk.find(b"\n")
            if cut >= 0:
                return pos + cut + 1
            pos += len(chunk)
        self.scanned = pos
        return -1

    def close(self) -> None:
        """Close this reader's descriptor (the store keeps its own, ``store_fd``)."""
        os.close(self.fd)


class FileFollower:
    """Follows a file of JSON lines through appends, truncation and rotation (see the module's
    documentation)."""

    def __init__(self, store: Store, path: str, *, max_line: int = MAX_LINE_BYTES) -> None:
        self.store = store
        self.path = path
        self.label = store.label
        self.feed = _Feed(store, max_line)
        self.max_line = max_line
        self.old: list[_Tail] = []  # rotated files still read on
        self.closed = False
        self.pending_notes: list[str] = []
        fd = store.raw_file_dup()
        if fd is None:
            raise FollowError(f"{self.label}: this source cannot be followed")
        extent = store.extent or 0
        pos, skip = extent, False
        if extent and os.pread(fd, 1, extent - 1) != b"\n":
            # the loader read a last line that had no newline yet
            line = _line_start(fd, extent)
            if store.holds_line_at(line):
                skip = True  # it was a whole record: the rest of its line is not one
            else:
                store.retract_last_line(line)  # read it again once it has ended
                pos = line
        loaded = _Tail(fd, pos, 0, max_line)
        loaded.skip_line = skip
        self.current = loaded
        now_id = _path_id(path)
        if now_id is not None and now_id != loaded.id:
            # the path names another file than the one loaded: rotated since
            self._rotated(self.pending_notes)

    def _rotated(self, notes: list[str]) -> bool:
        """The path names a new file: read the old one on (a writer may still have it open)
        and follow the new one from its start."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False  # (gone again: next time)
        old = self.current
        self.old.append(old)
        self.current = _Tail(fd, 0, old.numbering + FILE_STEP, self.max_line)
        notes.append(f"{self.label} was rotated: following the new file")
        return True

    def _read(self, tail: _Tail, arrival: Arrival, final: bool = False) -> None:
        for offset, data in tail.runs(final):
            if tail.store_fd is None:
                tail.store_fd = os.dup(tail.fd)
            self.store.raws_from(tail.store_fd)
            if data is None:
                arrival.skipped += self.feed.long_line(tail.numbering + offset)
                continue
            events, skipped = self.feed.lines(data, offset, tail.numbering, memory=False)
            arrival.events += events
            arrival.skipped += skipped

    def poll(self) -> Arrival:
        arrival = Arrival(notes=self.pending_notes)
        self.pending_notes = []
        if self.closed or not self.store.wait(0):
            return arrival
        # files rotated away first: their lines were written before the new file's
        for tail in list(self.old):
            quiet = time.monotonic() - tail.grew_at > DRAIN_SECONDS
            self._read(tail, arrival, final=quiet)
            if quiet:
                tail.close()
                self.old.remove(tail)
        if self.current.truncated():
            self._truncated(arrival)
        self._read(self.current, arrival)
        now_id = _path_id(self.path)
        if now_id is not None and now_id != self.current.id and self._rotated(arrival.notes):
            self._read(self.current, arrival)
        return arrival

    def _truncated(self, arrival: Arrival) -> None:
        """The current file was cut: find the copy its content went to, read the lines that
        reached the copy but not us, and follow the file again from its start."""
        tail = self.current
        copy = self._find_copy(tail)
        moved = self.store.reroute_raws(tail.id, None if copy is None else os.dup(copy.fd))
        where = ""
        if copy is not None:
            self._read(copy, arrival, final=True)
            copy.close()
            where = f"; the records read before are read from {Path(copy.name).name}"
        elif moved:
            where = (
                f"; no rotated copy of it found: the details of the {moved:,} events read "
                "before show what the index holds"
            )
        arrival.notes.append(f"{self.label} was truncated: following it from its start{where}")
        self.current = _Tail(os.dup(tail.fd), 0, tail.numbering + FILE_STEP, self.max_line)
        tail.close()

    def _find_copy(self, tail: _Tail) -> _Tail | None:
        """A file beside the followed one, named after it (``app.log.1``, ``app.log-2026…``),
        holding the bytes read from it: copytruncate's copy (the newest such first)."""
        folder, name = os.path.split(os.path.abspath(self.path))
        try:
            names = [n for n in os.listdir(folder) if n != name and n.startswith(name)]
        except OSError:
            return None
        found = []
        for other in names:
            full = os.path.join(folder, other)
            try:
                st = os.stat(full)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) != tail.id:
                found.append((st.st_mtime, full))
        for _, full in sorted(found, reverse=True):
            try:
                fd = os.open(full, os.O_RDONLY)
            except OSError:
                continue
            if tail.holds_same(fd):
                return _Tail(fd, tail.pos, tail.numbering, self.max_line, name=full)
            os.close(fd)
        return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            for tail in [*self.old, self.current]:
                tail.close()
            self.old = []


def _line_start(fd: int, end: int) -> int:
    """Where the line that ends (without its newline) at ``end`` starts."""
    pos = end
    while pos > 0:
        lo = max(0, pos - SCAN)
        cut = os.pread(fd, pos - lo, lo).rfind(b"\n")
        if cut >= 0:
            return lo + cut + 1
        pos = lo
    return 0


# -- streams: gzip files, pipes ---------------------------------------------------------------


class _StreamLines:
    """Bytes of a stream into whole lines into the store (the records kept in memory)."""

    def __init__(self, feed: _Feed, pos: int, max_line: int) -> None:
        self.feed = feed
        self.pos = pos  # stream offset of ``pending``'s first byte
        self.numbering = 0
        self.pending = b""
        self.max_line = max_line
        self.skipping = False  # inside a line longer than max_line: dropped until it ends

    def push(self, data: bytes, arrival: Arrival, final: bool = False) -> None:
        if self.skipping:
            cut = data.find(b"\n")
            if cut < 0:
                self.pos += len(data)
                return
            self.pos += cut + 1
            data = data[cut + 1 :]
            self.skipping = False
        buf = self.pending + data
        cut = len(buf) - 1 if final and buf else buf.rfind(b"\n")
        if cut < 0:
            self.pending = buf
            if len(buf) > self.max_line:  # a line too long: report it, drop what comes of it
                arrival.skipped += self.feed.long_line(self.numbering + self.pos)
                self.pos += len(buf)
                self.pending = b""
                self.skipping = True
            return
        whole, self.pending = buf[: cut + 1], buf[cut + 1 :]
        events, skipped = self.feed.lines(whole, self.pos, self.numbering, memory=True)
        arrival.events += events
        arrival.skipped += skipped
        self.pos += len(whole)


class GzipFollower:
    """Follows a gzip file of JSON lines: appended members, or a stream its writer flushes.
    Truncation and rotation start over on the new content."""

    def __init__(self, store: Store, path: str, *, max_line: int = MAX_LINE_BYTES) -> None:
        self.store = store
        self.path = path
        self.label = store.label
        self.max_line = max_line
        self.feed = _Feed(store, max_line)
        self.closed = False
        self.pending_notes: list[str] = []
        store.raws_from(None)
        self._open()
        self.lines = self._skip_loaded(store.extent or 0)

    def _skip_loaded(self, extent: int) -> _StreamLines:
        """Decompress what the loader read (``extent`` bytes, counted without a byte order
        mark), keeping only its last line and what came after it."""
        buf, buf_pos, bom, first = b"", 0, 0, True
        for piece in self._pieces():
            if first and piece:
                bom = len(BOM) if piece.startswith(BOM) else 0
                first = False
            buf += piece
            if buf_pos + len(buf) <= extent + bom:
                nl = buf.rfind(b"\n")
                if nl >= 0:
                    buf_pos += nl + 1
                    buf = buf[nl + 1 :]
        target = extent + bom
        start, skipping = target, False
        if extent and buf_pos != target:  # the loader read a last line without its newline
            if self.store.holds_line_at(buf_pos - bom):
                nl = buf.find(b"\n", target - buf_pos)
                if nl < 0:
                    start, skipping = buf_pos + len(buf), True
                else:
                    start = buf_pos + nl + 1
            else:
                self.store.retract_last_line(buf_pos - bom)
                start = buf_pos
        lines = _StreamLines(self.feed, start - bom, self.max_line)
        lines.skipping = skipping
        lines.pending = buf[start - buf_pos :]
        return lines

    def _open(self) -> None:
        try:
            self.fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise FollowError(f"{self.path}: cannot follow ({exc.strerror})") from None
        self.id = _file_id(self.fd)
        self.cpos = 0
        self.inflater = zlib.decompressobj(31)

    def _pieces(self) -> Iterator[bytes]:
        """The decompressed bytes of what was appended since the last call, piece by piece."""
        size = os.fstat(self.fd).st_size
        while self.cpos < size:
            chunk = os.pread(self.fd, min(BLOCK, size - self.cpos), self.cpos)
            if not chunk:
                break
            self.cpos += len(chunk)
            while chunk:
                try:
                    yield self.inflater.decompress(chunk)
                except zlib.error as exc:
                    raise FollowError(
                        f"{self.path}: damaged gzip data before byte {self.cpos:,} ({exc}); "
                        "stopped following"
                    ) from None
                if not self.inflater.eof:
                    break
                chunk = self.inflater.unused_data  # the next member
                self.inflater = zlib.decompressobj(31)

    def poll(self) -> Arrival:
        arrival = Arrival(notes=self.pending_notes)
        self.pending_notes = []
        if self.closed or not self.store.wait(0):
            return arrival
        restart = os.fstat(self.fd).st_size < self.cpos
        if not restart:
            self.lines.push(b"".join(self._pieces()), arrival)
        now_id = _path_id(self.path)
        if restart or (now_id is not None and now_id != self.id):
            what = "truncated" if restart else "rotated"
            self.lines.push(b"", arrival, final=True)
            os.close(self.fd)
            self._open()
            numbering = self.lines.numbering + FILE_STEP
            self.lines = _StreamLines(self.feed, 0, self.max_line)
            self.lines.numbering = numbering
            arrival.notes.append(f"{self.label} was {what}: following it from its start")
            self.lines.push(b"".join(self._pieces()), arrival)
        return arrival

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)


class StreamFollower:
    """Follows standard input or a named pipe: what arrives is indexed as it comes, until the
    writer closes it."""

    def __init__(self, store: Store, fd: int, pending: bytes, pos: int, label: str) -> None:
        self.store = store
        self.fd = fd
        self.label = label
        self.feed = _Feed(store, MAX_LINE_BYTES)
        self.lines = _StreamLines(self.feed, pos, MAX_LINE_BYTES)
        self.lines.pending = pending
        self.ended = False
        store.raws_from(None)

    def poll(self) -> Arrival:
        arrival = Arrival()
        if not self.store.wait(0):
            return arrival
        if self.ended:
            arrival.ended = True
            return arrival
        got = 0
        while got < STREAM_READ and select.select([self.fd], [], [], 0)[0]:
            try:
                data = os.read(self.fd, BLOCK)
            except BlockingIOError:
                break
            if not data:
                self.lines.push(b"", arrival, final=True)
                self.ended = arrival.ended = True
                arrival.notes.append(f"{self.label} ended: nothing more will arrive")
                os.close(self.fd)
                break
            got += len(data)
            self.lines.push(data, arrival)
        return arrival

    def close(self) -> None:
        if not self.ended:
            self.ended = True
            os.close(self.fd)


def _json_lines(data: bytes) -> bool:
    """True when ``data`` (what a pipe gave first) is empty or starts with a JSON object on a
    line of its own (not a JSON document spread over lines, not CSV)."""
    text = data.lstrip(BOM + b" \t\r\n")
    if not text:
        return True
    if b"\n" not in text:  # its first line has not ended yet
        return text[:1] == b"{"
    try:
        return isinstance(orjson.loads(text.split(b"\n", 1)[0]), dict)
    except orjson.JSONDecodeError:
        return False


def open_stream(
    spec: str,
    *,
    input_format: str | None = None,
    first_wait: float = FIRST_WAIT,
    max_first: int = 256 * 1024 * 1024,
) -> tuple[Store, StreamFollower]:
    """Open standard input (``-``) or a named pipe to follow it: what arrives until the
    writer pauses for ``first_wait`` seconds (or ``max_first`` bytes) is loaded, and the
    follower reads the rest as it comes. The pipe is read through a descriptor of its own, so
    the terminal can take over standard input afterwards."""
    label = "stdin" if spec == "-" else spec
    if spec == "-":
        fd = os.dup(0)
    else:
        try:
            fd = os.open(os.path.expanduser(spec), os.O_RDONLY)
        except OSError as exc:
            raise SourceError(f"{spec}: cannot read ({exc.strerror})") from None
    chunks: list[bytes] = []
    got = 0
    while got < max_first:
        ready = select.select([fd], [], [], first_wait)[0]
        if not ready:
            break
        data = os.read(fd, BLOCK)
        if not data:
            break  # (the follower's first poll says it ended)
        chunks.append(data)
        got += len(data)
    data = b"".join(chunks)
    if data[:2] == b"\x1f\x8b":
        os.close(fd)
        raise FollowError(f"{label}: gzip data on a pipe cannot be followed; give the file")
    if not _json_lines(data):
        os.close(fd)
        raise FollowError(
            f"{label}: only JSON lines can be followed (one event per line); open it "
            "without --follow"
        )
    bom = len(BOM) if data.startswith(BOM) else 0
    cut = data.rfind(b"\n") + 1
    whole, rest = data[:cut], data[cut:]
    store = open_data(whole, label, kind="jsonl", input_format=input_format, source=spec)
    follower = StreamFollower(store, fd, rest, len(whole) - bom, label)
    return store, follower
