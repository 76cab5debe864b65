"""A file of JSON lines read a batch of records at a time, never whole: for ``audit-tui load``,
whose sources may be bigger than memory.

Each block of lines is read by the store's own :class:`~audit_tui.sources.blocks.BlockIndexer`,
so a line is an event, or skipped for the same reason and with the same line number, exactly as
``audit-tui query`` (which reads the file into the store) says. Plain and gzip-compressed
files are read front to back; nothing but the current block is held.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

from audit_tui.sources.blocks import MAX_LINE_BYTES, BlockIndexer
from audit_tui.sources.file import SourceError, refuse_binary, sniff_file
from audit_tui.sources.formats import normalise, resolve
from audit_tui.store import Skipped

BLOCK = 4 * 1024 * 1024  # bytes of lines read at a time
Record = dict[str, Any]


@dataclass
class RecordBatch:
    """The valid records of a run of lines, as the file holds them, and the lines skipped."""

    raws: list[bytes]
    skipped: list[Skipped] = field(default_factory=list)
    done: float = 0.0  # the part of the file read so far (0..1)


@dataclass
class LineSource:
    """A JSON-lines file, readable a batch at a time (:meth:`batches`)."""

    path: Path
    label: str
    compressed: bool
    size: int  # bytes on disk
    read_native: Callable[[Record], Record]  # the store's reading of a record's format
    max_line: int = MAX_LINE_BYTES
    forced: str | None = None

    def batches(self, records: int = 20_000) -> Iterator[RecordBatch]:
        """The file's records in batches of about ``records`` (at least a block's worth of
        lines is read at a time), with the lines skipped among them."""
        indexer = BlockIndexer(self.forced, self.max_line)
        pending = RecordBatch([])
        line_base = 0
        try:
            with self._open() as f:
                for offset, data in _blocks(f, BLOCK, self.max_line):
                    if data is None:  # one line too long to read
                        result, _ = indexer.long_line(offset)
                    else:
                        result, _ = indexer.index_block(data, offset)
                        cut = offset
                        pending.raws += [
                            data[s - cut : s - cut + n]
                            for s, n in zip(
                                result.starts.tolist(), result.lengths.tolist(), strict=True
                            )
                        ]
                    pending.skipped += [
                        Skipped(line_base + line + 1, why) for line, why in result.invalid
                    ]
                    line_base += result.nlines
                    if len(pending.raws) >= records:
                        pending.done = self._done(f)
                        yield pending
                        pending = RecordBatch([])
        except (OSError, EOFError, zlib.error) as exc:
            why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise SourceError(f"{self.label}: reading stopped ({why})") from None
        pending.done = 1.0
        yield pending

    def _open(self) -> IO[bytes]:
        if self.compressed:
            return cast(IO[bytes], gzip.open(self.path, "rb"))
        return open(self.path, "rb")

    def _done(self, f: IO[bytes]) -> float:
        raw = getattr(f, "fileobj", None) if self.compressed else f
        try:
            where = raw.tell() if raw is not None else 0
        except (OSError, ValueError):
            return 0.0
        return min(1.0, where / max(self.size, 1))


def _blocks(f: IO[bytes], size: int, max_line: int) -> Iterator[tuple[int, bytes | None]]:
    """(offset, whole lines) read front to back; (offset, None) for a line longer than
    ``max_line`` bytes, which is read past without being held."""
    offset, rest = 0, b""
    while True:
        chunk = f.read(size)
        if not chunk:
            if rest:
                yield offset, rest
            return
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            if len(data) > max_line:  # one line, too long: skip to its end
                skipped = len(data)
                while True:
                    chunk = f.read(size)
                    nl = chunk.find(b"\n")
                    if not chunk or nl >= 0:
                        rest = chunk[nl + 1 :] if nl >= 0 else b""
                        skipped += nl + 1 if nl >= 0 else 0
                        break
                    skipped += len(chunk)
                yield offset, None
                offset += skipped
                continue
            rest = data
            continue
        yield offset, data[: cut + 1]
        offset += cut + 1
        rest = data[cut + 1 :]


def line_source(
    spec: str, input_format: str | None = None, max_line: int = MAX_LINE_BYTES
) -> LineSource | None:
    """``spec`` as a :class:`LineSource` when it is a file of JSON lines (plain or gzipped);
    None for anything else (a JSON document, CSV, standard input, the sample), which is read
    whole by :func:`~audit_tui.sources.file.open_source`."""
    if spec in ("", "-"):
        return None
    path = Path(spec).expanduser()
    try:
        if not path.is_file():
            return None  # a pipe, a folder, nothing: open_source reads it or says why
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    try:
        forced = resolve(input_format)
    except ValueError as exc:
        raise SourceError(str(exc)) from None
    suffixes = [s.lower() for s in path.suffixes]
    compressed = head[:2] == b"\x1f\x8b"
    if compressed:
        inner = suffixes[-2] if len(suffixes) >= 2 and suffixes[-1] == ".gz" else ""
        if inner not in (".jsonl", ".ndjson"):
            return None
    else:
        refuse_binary(head, spec)
        ext = suffixes[-1] if suffixes else ""
        if ext in (".json", ".csv") or (
            ext not in (".jsonl", ".ndjson") and sniff_file(path) != "jsonl"
        ):
            return None
    native = partial(normalise, forced=forced)
    return LineSource(path, spec, compressed, size, native, max_line, forced)
