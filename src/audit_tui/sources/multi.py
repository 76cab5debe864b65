"""Open many files as one source: ``audit-tui PATH…`` with files, folders and globs.

The paths become a list of files (:mod:`audit_tui.sources.paths`: folders walked, globs
expanded, each file once). Every file is read the way a file given alone is (JSON lines by
offset, a gzip or a JSON document in memory, CSV rows), in any mix of formats and
compressions, into one store: one timeline, one set of facets, one search. Each event keeps
the number of its file (``BlockResult.file``) and its line.

A file that cannot be read (binary, not JSON or CSV, damaged gzip, invalid JSON document) is
passed over and reported with why; the others load. Small sets are read by one thread; past
``PARALLEL_MIN_BYTES`` two worker processes take files from a shared counter (a queue without
a process per file) and keep serving text search for the events they read, as the loader of
one big file does (:mod:`audit_tui.sources.parallel`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from audit_tui.sources.blocks import MAX_LINE_BYTES, BlockIndexer, skipped_block
from audit_tui.sources.file import (
    BOM,
    PARALLEL_MIN_BYTES,
    SourceError,
    buffer_blocks,
    csv_records,
    file_blocks,
    is_stream,
    json_records,
    kind_by_ext,
    looks_like_lines,
    read_stream,
    record_blocks,
    resolve_format,
    sniff,
)
from audit_tui.sources.formats import describe_formats, describe_lines, normalise
from audit_tui.sources.paths import FileSet, Found, PathError, expand
from audit_tui.store import SourceFile, Store, TextIndex
from audit_tui.textindex import TextBlob

SMALL_FILE = 1024 * 1024  # read whole, in one read (below MAX_LINE_BYTES: no line too long)
BATCH_BYTES = 4 * 1024 * 1024  # small files indexed together up to this many bytes
DESCRIBE_FILES = 64  # files whose first records name the formats of the set (status line)
Emit = Callable[[tuple[Any, ...]], None]


@dataclass(frozen=True)
class Stored:
    """Where a file's records are read back, as the reader found it (sent to the store)."""

    number: int
    unit: str = "line"
    path: str | None = None  # by offset from this file
    ident: tuple[int, int] | None = None
    buffer: bytes | None = None  # by offset from these bytes (a gzip, a pipe)
    described: str = ""  # its formats, "" for native (or not looked at)


def open_paths(
    specs: Sequence[str],
    *,
    input_format: str | None = None,
    max_line: int = MAX_LINE_BYTES,
    workers: int | None = None,
    streams: dict[str, bytes] | None = None,
) -> Store:
    """Start loading every file ``specs`` name (files, folders, globs) into one store.

    ``streams``: the bytes of the specs that can be read only once (``-``, a named pipe),
    already read (the browser keeps them for a reload). Raises :class:`SourceError` for a
    path that names nothing, or when no file is left to read."""
    forced = resolve_format(input_format)
    streams = dict(streams or {})
    plain = [s for s in specs if s not in streams and s != "-" and not is_stream(s)]
    try:
        found = expand(plain)
    except PathError as exc:
        raise SourceError(str(exc)) from None
    items: list[Found | tuple[str, bytes]] = []
    by_spec = {f.path: f for f in found.files}
    for spec in specs:  # in the order given
        if spec in streams or spec == "-" or is_stream(spec):
            if spec not in streams:
                streams[spec] = read_once(spec)
            items.append((spec, streams[spec]))
    items.extend(by_spec.values())
    if not items:
        why = "; ".join(f"{p} {w}" for p, w in found.skipped[:3])
        raise SourceError(f"{' '.join(specs)}: no file to read ({why})")
    return _start(" ".join(specs), items, found, forced, max_line, workers)


def read_once(spec: str) -> bytes:
    """The bytes of a spec that can be read only once (``-``, a named pipe, ``<(cmd)``)."""
    if spec == "-":
        import sys

        return sys.stdin.buffer.read()
    return read_stream(spec)


def _start(
    label: str,
    items: list[Found | tuple[str, bytes]],
    found: FileSet,
    forced: str | None,
    max_line: int,
    workers: int | None,
) -> Store:
    size = sum(i.size if isinstance(i, Found) else len(i[1]) for i in items)
    paths = [i for i in items if isinstance(i, Found)]
    parallel = (workers or 2) > 1 and len(paths) == len(items) > 1 and size >= PARALLEL_MIN_BYTES
    conns: list[Connection] = []
    text: TextIndex | None = None
    if parallel:
        conns, text = _start_workers(paths, forced, max_line, workers or 2)
    store = Store(label, text, native=lambda r: normalise(r, forced), source=label)
    report = store.file_report
    report.total, report.bytes_total = len(items), size
    report.skipped.extend(found.skipped)
    for item in items:
        name = item.path if isinstance(item, Found) else _stream_name(item[0])
        store.add_file(SourceFile(name))
    store.format_name = "files"
    receiver = _Receiver(store)
    if text is not None:
        pump = threading.Thread(target=_pump, args=(store, conns, text, receiver), daemon=True)
        pump.start()
        return store

    def run() -> None:
        indexer = BlockIndexer(forced, max_line)
        emit = receiver.local()
        small = SmallFiles(indexer, emit)
        try:
            for number, item in enumerate(items):
                if isinstance(item, Found):
                    read_file(item, number, indexer, emit, number < DESCRIBE_FILES, small)
                else:
                    read_bytes(item[1], item[0], number, indexer, emit, True, True)
                    emit(("filedone", number, 0))
            small.flush()
        except Exception as exc:  # a loader failure keeps what was loaded and says why
            store.finish(f"loading stopped: {type(exc).__name__}: {exc}")
        else:
            store.finish()

    threading.Thread(target=run, name=f"load {store.label}", daemon=True).start()
    return store


def _stream_name(spec: str) -> str:
    return "stdin" if spec == "-" else spec


class _Receiver:
    """Applies what the readers say (``("file", Stored)``, ``("block", result, texts,
    nbytes)``, ``("skip", number, why)``, ``("filedone", number, nbytes)``) to the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.formats: list[str] = []
        self.skipped: set[int] = set()

    def local(self) -> Emit:
        """What the readers of this process say to the store."""
        return lambda msg: self.on(0, msg)

    def on(self, shard: int, msg: tuple[Any, ...]) -> None:
        store, report = self.store, self.store.file_report
        kind = msg[0]
        if kind == "said":  # a worker's messages, sent together
            for one in msg[1]:
                self.on(shard, one)
            return
        if kind == "block":
            _, result, texts, nbytes = msg
            store.add_block(shard, result, texts)
            report.bytes_done += nbytes
        elif kind == "file":
            info: Stored = msg[1]
            f = store.file_entry(info.number)
            f.unit, f.path, f.ident, f.buffer = info.unit, info.path, info.ident, info.buffer
            for name in info.described.split(" + ") if info.described else ():
                if name not in self.formats:
                    self.formats.append(name)
                    store.format_name = "files: " + " + ".join(self.formats)
        elif kind == "skip":
            _, number, why = msg
            self.skipped.add(number)
            report.skipped.append((store.file_entry(number).name, why))
        elif kind == "filedone":
            _, number, nbytes = msg
            report.bytes_done += nbytes
            report.done += 1
            if number not in self.skipped:
                report.read += 1
        store.progress = min(0.999, report.bytes_done / max(report.bytes_total, 1))


# -- reading one file (in this process or in a worker) ---------------------------------------


class SmallFiles:
    """Small JSON-lines files indexed together: their bytes one after the other make one block
    (a bucket of 10,000 objects is not 10,000 blocks, each with its costs in the indexer, the
    pipe and the store), whose events are then given back their files, offsets and lines."""

    def __init__(self, indexer: BlockIndexer, emit: Emit) -> None:
        self.indexer = indexer
        self.emit = emit
        self.parts: list[tuple[int, bytes]] = []  # (file number, its bytes)
        self.size = 0

    def add(self, number: int, data: bytes) -> None:
        self.parts.append((number, data if data.endswith(b"\n") else data + b"\n"))
        self.size += len(data)
        if self.size >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        parts, self.parts, self.size = self.parts, [], 0
        if not parts:
            return
        data = b"".join(d for _, d in parts)
        result, texts = self.indexer.index_block(data, 0)
        numbers = np.asarray([n for n, _ in parts], np.int32)
        byte_base = np.cumsum([0, *(len(d) for _, d in parts)])[:-1]
        line_base = np.cumsum([0, *(d.count(b"\n") for _, d in parts)])[:-1]
        lines = result.lines if result.lines is not None else np.empty(0, np.int32)
        which = np.searchsorted(line_base, lines, "right") - 1
        result.files = numbers[which]
        result.file = int(numbers[0])
        result.starts = result.starts - byte_base[which]
        result.lines = (lines - line_base[which]).astype(np.int32)
        result.nlines = 0  # (the lines count from each file's start)
        invalid, result.invalid = result.invalid, []
        self.emit(("block", result, texts, 0))
        for line, why in invalid:  # reported in their own file
            k = int(np.searchsorted(line_base, line, "right")) - 1
            block, part = skipped_block(self.indexer, [(int(line - line_base[k]), why)])
            block.file = int(numbers[k])
            self.emit(("block", block, part, 0))


def read_file(
    found: Found,
    number: int,
    indexer: BlockIndexer,
    emit: Emit,
    describe: bool,
    small: SmallFiles | None = None,
) -> None:
    """Index one file of a set (a small JSON-lines file: with others, through ``small``); one
    that cannot be read is reported (``skip``) with why, and whatever it gave before failing
    is kept. Always ends with ``filedone``."""
    reported = 0

    def counting(msg: tuple[Any, ...]) -> None:
        nonlocal reported
        if msg[0] == "block":
            reported += msg[3]
        emit(msg)

    try:
        _read_file(found, number, indexer, counting, describe, small)
    except SourceError as exc:
        emit(("skip", number, _reason(str(exc), found.path)))
    except OSError as exc:
        emit(("skip", number, f"cannot read ({exc.strerror or exc})"))
    emit(("filedone", number, max(0, found.size - reported)))


def _reason(message: str, name: str) -> str:
    """A SourceError's message without the file name it starts with."""
    return message.removeprefix(f"{name}: ")


def _read_file(
    found: Found,
    number: int,
    indexer: BlockIndexer,
    emit: Emit,
    describe: bool,
    small: SmallFiles | None = None,
) -> None:
    path = found.path
    if is_stream(path):
        read_bytes(read_stream(path), path, number, indexer, emit, found.named, describe)
        return
    with open(os.path.expanduser(path), "rb") as f:
        st = os.fstat(f.fileno())
        # a small file (most of a bucket's objects) is read once, whole
        whole = f.read() if st.st_size <= SMALL_FILE else None
        head = whole[: 64 * 1024] if whole is not None else f.read(64 * 1024)
        suffixes = [s.lower() for s in Path(path).suffixes]
        if head[:2] == b"\x1f\x8b" or (suffixes and suffixes[-1] == ".gz"):
            import gzip
            import zlib

            if whole is None:
                f.seek(0)
                whole = f.read()
            try:
                data = gzip.decompress(whole)
            except (OSError, EOFError, zlib.error) as exc:
                raise SourceError(f"damaged gzip data ({exc})") from None
            ext = suffixes[-2] if len(suffixes) >= 2 else ""
            read_bytes(data, path, number, indexer, emit, found.named, describe, ext)
            return
        if b"\x00" in head[:4096]:
            raise SourceError("binary data, not a log")
        ext = suffixes[-1] if suffixes else ""
        kind = kind_by_ext(ext) or sniff(head)
        if kind == "jsonl":
            ident = (st.st_dev, st.st_ino)
            described = describe_lines(head, forced=indexer.forced) if describe else ""
            where = os.path.expanduser(path)
            emit(("file", Stored(number, path=where, ident=ident, described=described)))
            if whole is not None and small is not None and not whole.startswith(BOM):
                small.add(number, whole)
                return
            if whole is not None:  # (lines longer than the limit need a file: SMALL_FILE < it)
                if whole:
                    result, texts = indexer.index_block(whole, 0)
                    result.file = number
                    emit(("block", result, texts, len(whole)))
                return
            for result, texts, _pos, nbytes in file_blocks(f, indexer):
                result.file = number
                emit(("block", result, texts, nbytes))
            return
        if whole is None:
            f.seek(0)
            whole = f.read()
        data = whole
    read_bytes(data, path, number, indexer, emit, found.named, describe, ext, kind)


def read_bytes(
    data: bytes,
    name: str,
    number: int,
    indexer: BlockIndexer,
    emit: Emit,
    named: bool,
    describe: bool,
    ext: str | None = None,
    kind: str | None = None,
) -> None:
    """Index one file's content held in memory (a gzip's, a pipe's, a JSON document's)."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if b"\x00" in data[:4096]:
        raise SourceError("binary data, not a log")
    if ext is None:
        suffixes = [s.lower() for s in Path(name).suffixes]
        ext = suffixes[-1] if suffixes else ""
    kind = kind or kind_by_ext(ext) or sniff(data[: 64 * 1024])
    if kind == "csv" and ext != ".csv" and not named:
        raise SourceError("not a log (text that is not JSON)")
    forced = indexer.forced
    if kind == "jsonl" or (kind == "json" and looks_like_lines(data)):
        described = describe_lines(data[: 64 * 1024], forced=forced) if describe else ""
        emit(("file", Stored(number, buffer=data, described=described)))
        for result, texts, _done in buffer_blocks(data, indexer):
            result.file = number
            emit(("block", result, texts, 0))
        return
    if kind == "json":
        records = json_records(data, name)
        sample = [r[1] if isinstance(r, tuple) else r for r in records[:200]]
        described = describe_formats(sample, forced) if describe else ""
        emit(("file", Stored(number, unit="record", described=described)))
        for result, texts, _share in record_blocks(records, indexer):
            result.file = number
            emit(("block", result, texts, 0))
        return
    if kind == "csv":
        rows, lines, skipped = csv_records(data, name)
        described = describe_formats(rows[:200], forced) if describe else ""
        emit(("file", Stored(number, described=described)))
        for result, texts, _share in record_blocks(rows, indexer, lines, skipped):
            result.file = number
            emit(("block", result, texts, 0))
        return
    raise SourceError("not JSON lines, JSON or CSV")


# -- worker processes that take files from a shared counter ---------------------------------


def worker_main(
    conn: Connection,
    files: list[Found],
    counter: Any,
    forced: str | None,
    max_line: int,
) -> None:
    """Take the next file from ``counter`` until none is left; send its blocks (keeping their
    search texts here), then serve searches as the single-file workers do."""
    from audit_tui.sources.parallel import serve_searches

    texts = TextBlob()
    said: list[tuple[Any, ...]] = []  # what was said of files since the last block, sent with it

    def emit(msg: tuple[Any, ...]) -> None:
        if msg[0] == "block":
            _, result, block_texts, nbytes = msg
            texts.add(block_texts)
            said.append(("block", result, None, nbytes))
            flush()
        else:
            said.append(msg)
            if len(said) >= 256:
                flush()

    def flush() -> None:
        if said:
            conn.send(("said", said[:]))
            said.clear()

    try:
        indexer = BlockIndexer(forced, max_line)
        small = SmallFiles(indexer, emit)
        while True:
            with counter.get_lock():
                number = counter.value
                counter.value += 1
            if number >= len(files):
                break
            read_file(files[number], number, indexer, emit, number < DESCRIBE_FILES, small)
        small.flush()
        flush()
        conn.send(("done", len(texts)))
    except Exception as exc:  # reported to the parent, which keeps what arrived
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    serve_searches(conn, texts)


def _start_workers(
    files: list[Found], forced: str | None, max_line: int, workers: int
) -> tuple[list[Connection], TextIndex]:
    from audit_tui.sources.parallel import ShardedTextIndex, no_main_reimport, worker_context

    ctx = worker_context()
    counter = ctx.Value("q", 0)
    conns, procs = [], []
    for _ in range(min(workers, len(files))):
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=worker_main, args=(child, files, counter, forced, max_line), daemon=True
        )
        with no_main_reimport():
            proc.start()
        child.close()
        conns.append(parent)
        procs.append(proc)
    index = ShardedTextIndex(conns, procs)
    index.counter = counter  # type: ignore[attr-defined]  # spawned workers unpickle it later
    return conns, index


def _pump(store: Store, conns: list[Connection], index: Any, receiver: _Receiver) -> None:
    """Move the workers' messages into the store until every worker is done (a thread)."""
    from audit_tui.sources.parallel import pump_messages

    pump_messages(store, conns, index, receiver.on)
