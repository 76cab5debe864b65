"""Open a source (a file, stdin, the bundled sample) into a :class:`Store` that loads in the
background.

Formats: JSON lines (``.jsonl``/``.ndjson``), a JSON document (an array, or an object with the
events under ``data``, ``items``, ``events`` or ``records``, or one event), CSV with a header
row, any of these gzip-compressed, and ``-`` for stdin. The extension decides when it says
something; otherwise the content does. Problems that make the source unreadable raise
:class:`SourceError` *before* loading starts; invalid records are skipped and counted.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import stat
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from audit_tui.model import InvalidRecord
from audit_tui.sources import lines
from audit_tui.sources.blocks import (
    ENVELOPE_KEYS,
    MAX_LINE_BYTES,
    BlockIndexer,
    envelope_spans,
    failure_reason,
    index_records,
    read_record,
    skipped_block,
)
from audit_tui.sources.formats import (
    describe_file,
    describe_formats,
    describe_lines,
    format_label,
    normalise,
    resolve,
)
from audit_tui.store import BlockResult, Store, TextIndex
from audit_tui.textindex import TextPart

PARALLEL_MIN_BYTES = int(os.environ.get("AUDIT_TUI_PARALLEL_MIN_BYTES", 48 * 1024 * 1024))
MEMORY_BLOCK = 1024 * 1024
RECORD_BLOCK = 20_000  # parsed records (JSON documents, CSV rows) indexed per block
BOM = b"\xef\xbb\xbf"


class SourceError(Exception):
    """A source that cannot be read at all: the message is one line for the user."""


@dataclass(frozen=True)
class _Origin:
    """What every step of opening a source needs to know about it."""

    label: str  # what the user reads
    source: str | None  # what opens it again (see Store)
    forced: str | None  # the format non-native records are read as (None: detect per record)
    max_line: int = MAX_LINE_BYTES  # the longest line read as a record

    def new_store(self, text_index: TextIndex | None = None) -> Store:
        native = partial(normalise, forced=self.forced)
        return Store(self.label, text_index, native=native, source=self.source)


def resolve_format(input_format: str | None) -> str | None:
    try:
        return resolve(input_format)
    except ValueError as exc:
        raise SourceError(str(exc)) from None


def open_source(
    spec: str | None,
    *,
    demo: bool = False,
    now: datetime | None = None,
    workers: int | None = None,
    input_format: str | None = None,
    max_line: int = MAX_LINE_BYTES,
) -> Store:
    """Start loading ``spec`` (a path, ``-`` for stdin, None or ``demo`` for the sample).

    ``input_format`` (a name of ``formats.NAMES``, or "auto") reads every non-native record as
    that format instead of detecting it per record (None: detect). A line longer than
    ``max_line`` bytes is skipped (and reported) without being held in memory.

    A path that is no regular file (a named pipe, ``<(command)``) is read once, as standard
    input is: :func:`read_stream` and :func:`open_data` keep its bytes for a reload."""
    forced = resolve_format(input_format)
    if spec is None or demo:
        return _open_sample(now, _Origin("sample data", "", forced, max_line))
    if spec == "-":
        return _open_bytes(
            _maybe_gunzip(sys.stdin.buffer.read(), "stdin"),
            _Origin("stdin", "-", forced, max_line),
            "",
        )
    origin = _Origin(spec, spec, forced, max_line)
    if is_stream(spec):
        return _open_bytes(_maybe_gunzip(read_stream(spec), spec), origin, _stream_ext(spec))
    return _open_path(spec, workers, origin)


def is_stream(spec: str) -> bool:
    """True when ``spec`` names something that exists but is no regular file or folder: a
    named pipe, a process substitution (``/dev/fd/63``), a character device. Such a source can
    be read only once, so it is read whole, as standard input is."""
    if spec in ("", "-"):
        return False
    try:
        mode = os.stat(Path(spec).expanduser()).st_mode
    except OSError:
        return False  # opening it says why
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def read_stream(spec: str) -> bytes:
    """Every byte of a source that can be read only once (see :func:`is_stream`)."""
    try:
        with open(Path(spec).expanduser(), "rb") as f:
            return f.read()
    except OSError as exc:
        raise SourceError(f"{spec}: cannot read ({exc.strerror})") from None


def _stream_ext(spec: str) -> str:
    """What a stream's name says of its content (``events.jsonl``: JSON lines; ``63``:
    nothing, the bytes decide)."""
    suffixes = [s.lower() for s in Path(spec).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        return suffixes[-2] if len(suffixes) >= 2 else ""
    return suffixes[-1] if suffixes else ""


def open_data(
    data: bytes,
    label: str,
    *,
    kind: str | None = None,
    input_format: str | None = None,
    source: str | None = None,
    max_line: int = MAX_LINE_BYTES,
) -> Store:
    """Start loading events held in memory (standard input already read, for instance).

    ``kind`` ("jsonl", "json" or "csv") says what the data is when the caller knows (otherwise
    the extension of the name ``label``, then the content decides); ``source`` is what opens
    it again, when there is such a thing."""
    origin = _Origin(label, source, resolve_format(input_format), max_line)
    return _open_bytes(_maybe_gunzip(data, label), origin, _stream_ext(label), kind=kind)


def _open_sample(now: datetime | None, origin: _Origin) -> Store:
    from audit_tui.sources.sample import sample_bytes

    data = sample_bytes(now)
    store = origin.new_store()
    _start(store, lambda: _load_jsonl_buffer(store, data, origin))
    store.format_name = "sample (JSON lines)"
    return store


def _open_path(spec: str, workers: int | None, origin: _Origin) -> Store:
    path = Path(spec).expanduser()
    size = _size(path, spec)
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise SourceError(f"{spec}: cannot read ({exc.strerror}); check its permissions") from None
    suffixes = [s.lower() for s in path.suffixes]
    if head[:2] == b"\x1f\x8b" or (suffixes and suffixes[-1] == ".gz"):
        inner = suffixes[-2] if len(suffixes) >= 2 else ""
        return _open_bytes(_maybe_gunzip(_read(path, spec), spec), origin, inner)
    refuse_binary(head, spec)
    ext = suffixes[-1] if suffixes else ""
    kind = kind_by_ext(ext) or sniff_file(path)
    if kind != "jsonl":
        return _open_bytes(_read(path, spec), origin, ext, kind=kind)
    if size >= PARALLEL_MIN_BYTES and (workers or 2) > 1:
        return _open_parallel(str(path), size, origin, workers or 2)
    store = origin.new_store()
    store.format_name = format_label("JSON lines", describe_file(str(path), forced=origin.forced))
    store.set_raw_file(str(path))
    _start(store, lambda: _load_jsonl_file(store, str(path), size, origin))
    return store


def _size(path: Path, spec: str) -> int:
    """The size of the file ``spec`` names, or why it is no file to read."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SourceError(f"{spec}: no such file; check the path") from None
    except OSError as exc:
        raise SourceError(f"{spec}: cannot read ({exc.strerror}); check the path") from None
    if path.is_dir():
        raise SourceError(f"{spec}: is a folder; give a file of audit events")
    return st.st_size


def _read(path: Path, spec: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{spec}: cannot read ({exc.strerror})") from None


def _maybe_gunzip(data: bytes, name: str) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{name}: damaged gzip data ({exc}); check the file") from None


def refuse_binary(head: bytes, label: str) -> None:
    """JSON and CSV text never holds a raw NUL byte: whatever the extension says, this is not
    a file of audit events (and would otherwise load as thousands of invalid lines)."""
    if b"\x00" in head[:4096]:
        raise SourceError(
            f"{label}: looks like binary data; audit-tui reads JSON lines, JSON or CSV "
            "(UTF-8, optionally gzipped)"
        )


def kind_by_ext(ext: str) -> str | None:
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}.get(ext)


def sniff_file(path: Path) -> str:
    """What a file's first 64 KiB look like: "jsonl", "json", "csv", "binary" or "unknown"."""
    with open(path, "rb") as f:
        head = f.read(64 * 1024)
    return sniff(head)


def sniff(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return "jsonl"
    if text[:1] == b"[":
        return "json"
    if text[:1] == b"{":
        first = text.split(b"\n", 1)[0]
        try:
            value = orjson.loads(first)
        except orjson.JSONDecodeError:
            return "json"  # a pretty-printed document
        if isinstance(value, dict) and any(k in value for k in ENVELOPE_KEYS):
            return "json"
        return "jsonl"
    if b"\x00" in text[:4096]:
        return "binary"
    first_line = text.split(b"\n", 1)[0]
    if b"," in first_line or b";" in first_line or b"\t" in first_line:
        return "csv"
    return "unknown"


def _open_bytes(data: bytes, origin: _Origin, ext: str, kind: str | None = None) -> Store:
    label, forced = origin.label, origin.forced
    if data.startswith(BOM):  # a UTF-8 byte order mark is not part of the first record
        data = data[len(BOM) :]
    refuse_binary(data, label)
    kind = kind or kind_by_ext(ext) or sniff(data[: 64 * 1024])
    as_lines = kind == "jsonl" or (kind == "json" and looks_like_lines(data))
    if as_lines and len(data) >= PARALLEL_MIN_BYTES:
        return _open_spooled(data, origin)
    store = origin.new_store()
    if as_lines:
        described = describe_lines(data[: 64 * 1024], forced=forced)
        store.format_name = format_label("JSON lines", described)
        store.set_raw_buffer(data)
        _start(store, lambda: _load_jsonl_buffer(store, data, origin))
        return store
    if kind == "json":
        records = json_records(data, label)
        sample = [r[1] if isinstance(r, tuple) else r for r in records[:200]]
        store.format_name = format_label("JSON", describe_formats(sample, forced))
        store.unit = "record"
        _start(store, lambda: _load_records(store, records, forced))
        return store
    if kind == "csv":
        records, lines, skipped = csv_records(data, label)
        store.format_name = format_label("CSV", describe_formats(records[:200], forced))
        _start(store, lambda: _load_records(store, records, forced, lines, skipped))
        return store
    what = "binary data" if kind == "binary" else "an unknown format"
    raise SourceError(
        f"{label}: looks like {what}; audit-tui reads JSON lines, JSON or CSV (optionally gzipped)"
    )


def looks_like_lines(data: bytes) -> bool:
    """A .json file that holds JSON lines (several documents, one per line)."""
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        first = data.lstrip().split(b"\n", 1)[0]
        try:
            return isinstance(orjson.loads(first), dict)
        except orjson.JSONDecodeError:
            # CloudTrail objects back to back on one line (zcat of S3 objects)
            return envelope_spans(first) is not None
    return False


def json_records(data: bytes, label: str) -> list[Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        # one item that cannot be read (too deep, a lone surrogate) is skipped, the rest read;
        # when none can be, the document is what is broken
        records = [_read_item(item) for item in split_array(data) or ()]
        if not any(isinstance(r, tuple) for r in records):
            raise SourceError(
                f"{label}: not valid JSON ({exc}); fix the file or convert it to JSON lines"
            ) from None
        return records
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ENVELOPE_KEYS:
            if isinstance(doc.get(key), list):
                return list(doc[key])
        return [doc]
    raise SourceError(
        f"{label}: holds a JSON {type(doc).__name__}, not events; give an array of events"
    )


# A JSON string, or one byte of JSON structure: enough to find where an array's items end.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}:,]', re.S)


def split_array(data: bytes) -> list[bytes] | None:
    """The items of a JSON document's array of events, as bytes, without parsing them: the
    document itself (``[…]``) or its envelope's (``{"records": […]}``). For a document one of
    whose items cannot be parsed (too deep, a lone surrogate): the others are still read.
    None when the document's structure itself is broken."""
    tokens = _TOKEN.finditer(data)
    first = next(tokens, None)
    if first is None or data[: first.start()].strip(BOM + b" \t\r\n"):
        return None
    if first.group() == b"[":
        return _whole(_items(data, first.end(), tokens))
    if first.group() != b"{":
        return None
    found: dict[str, list[bytes]] = {}
    depth, key, pending, capture = 1, b"", "", ""
    items: list[bytes] = []
    begin = 0
    for tok in tokens:
        t = tok.group()
        if t in (b"{", b"["):
            depth += 1
            if pending and depth == 2 and t == b"[":
                capture, items, begin = pending, [], tok.end()
            pending = ""
        elif t in (b"}", b"]"):
            depth -= 1
            if capture and depth == 1:
                item = data[begin : tok.start()].strip()
                if item or items:
                    items.append(item)
                found.setdefault(capture, items)
                capture = ""
            if depth == 0:
                break
        elif capture and depth == 2 and t == b",":
            items.append(data[begin : tok.start()].strip())
            begin = tok.end()
        elif depth == 1 and t[:1] == b'"':
            key = t
        elif depth == 1 and t == b":":
            name = key[1:-1].decode("utf-8", "replace")
            pending = name if name in ENVELOPE_KEYS else ""
        else:
            pending = ""
    if depth != 0:
        return None
    for name in ENVELOPE_KEYS:
        if name in found:
            return _whole(found[name])
    return None


def _whole(items: list[bytes] | None) -> list[bytes] | None:
    """The items, unless one is empty (``[1,,2]``, ``[1,]``: the document's structure is
    broken, not one record)."""
    return None if items is None or not all(items) else items


def _items(data: bytes, start: int, tokens: Any) -> list[bytes] | None:
    """The items of the array whose ``[`` ends at ``start``; None when it never closes."""
    items: list[bytes] = []
    depth, begin = 1, start
    for tok in tokens:
        t = tok.group()
        if t in (b"{", b"["):
            depth += 1
        elif t in (b"}", b"]"):
            depth -= 1
            if depth == 0:
                item = data[begin : tok.start()].strip()
                if item or items:
                    items.append(item)
                return items
        elif t == b"," and depth == 1:
            items.append(data[begin : tok.start()].strip())
            begin = tok.end()
    return None


def _read_item(item: bytes) -> Any:
    """One item of a JSON array as a record: (its bytes, its value), or the reason it is
    skipped."""
    try:
        return (item, read_record(item))
    except Exception as exc:  # noqa: BLE001 - one record's failure skips that record
        return InvalidRecord(failure_reason(exc))


CSV_PARTIES = ("resource", "organization", "workspace", "actor")


def csv_row_to_record(row: dict[str, str]) -> dict[str, Any]:
    """Nest a CSV row: dotted headers (``actor.email``), our own export's ``actor_email`` style
    and JSON text in a cell (``metadata``, ``actor``) all become the native shape."""
    rec: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None:
            continue
        key = key.strip()
        if value == "":
            continue
        parsed: Any = value
        if value[:1] in "{[":
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                parsed = value
        if "." in key:
            head, _, rest = key.partition(".")
            node = rec.setdefault(head, {})
            if isinstance(node, dict):
                node[rest] = parsed
            continue
        head, _, rest = key.partition("_")
        if head in CSV_PARTIES and rest in ("id", "name", "email", "type"):
            node = rec.setdefault(head, {})
            if isinstance(node, dict):
                node[rest] = parsed
            continue
        if key in CSV_PARTIES and isinstance(parsed, str):
            node = rec.get(key)
            if isinstance(node, dict):
                node.setdefault("name", parsed)
                continue
        rec[key] = parsed
    return rec


def csv_records(data: bytes, label: str) -> tuple[list[Any], list[int], list[tuple[int, str]]]:
    """(the nested records, the line each ends on, the rows skipped: (line, why)).

    A row with more cells than the header is skipped, as pandas and DuckDB refuse it: which
    column would the extra cells be? (A row with fewer cells reads its missing cells as
    empty.)"""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError(f"{label}: CSV is not UTF-8 text; re-save it as UTF-8") from None
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    records: list[Any] = []
    lines: list[int] = []
    skipped: list[tuple[int, str]] = []
    try:
        header = reader.fieldnames
    except csv.Error as exc:  # no header to read the rows by: the file is what is broken
        raise SourceError(f"{label}: unreadable CSV at line {reader.line_num} ({exc})") from None
    width = len(header or ())
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a cell past the csv module's size limit: skip that row
            # (the reader has not counted the line it stopped in)
            skipped.append((reader.line_num + 1, f"unreadable CSV ({exc})"))
            continue
        extra = row.get(None)
        if extra is not None:
            skipped.append((reader.line_num, f"has {width + len(extra)} cells, the header {width}"))
            continue
        # the nested record is what the store keeps: store.row() and the detail view read it
        records.append(csv_row_to_record(row))
        lines.append(reader.line_num)
    if not reader.fieldnames:  # no line at all, or only blank lines
        raise SourceError(f"{label}: empty CSV; it needs a header row")
    return records, lines, skipped


# -- loaders (run in a background thread) -------------------------------------------------


def _start(store: Store, job: Callable[[], None]) -> None:
    def run() -> None:
        try:
            job()
        except Exception as exc:  # a loader failure keeps what was loaded and says why
            store.finish(f"loading stopped: {type(exc).__name__}: {exc}")
        else:
            store.finish()

    threading.Thread(target=run, name=f"load {store.label}", daemon=True).start()


def _load_jsonl_buffer(store: Store, data: bytes, origin: _Origin) -> None:
    store.set_raw_buffer(data)
    store.extent = len(data)
    indexer = BlockIndexer(origin.forced, origin.max_line)
    for result, texts, done in buffer_blocks(data, indexer):
        store.add_block(0, result, texts)
        store.progress = done / len(data)


def buffer_blocks(
    data: bytes, indexer: BlockIndexer
) -> Iterator[tuple[BlockResult, TextPart, int]]:
    """The blocks of JSON lines held in memory: (block, its texts, bytes read so far)."""
    pos, size = 0, len(data)
    while pos < size:
        end = data.rfind(b"\n", pos, pos + MEMORY_BLOCK)
        end = size if end < 0 or pos + MEMORY_BLOCK >= size else end + 1
        result, texts = indexer.index_block(data[pos:end], pos)
        yield result, texts, end
        pos = end


def _load_jsonl_file(store: Store, path: str, size: int, origin: _Origin) -> None:
    indexer = BlockIndexer(origin.forced, origin.max_line)
    with open(path, "rb") as f:
        store.extent = 0
        for result, texts, pos, nbytes in file_blocks(f, indexer):
            store.add_block(0, result, texts)
            store.extent = pos + nbytes  # where a follower goes on reading
            store.progress = min(1.0, (pos + nbytes) / max(size, 1))


def file_blocks(
    f: BinaryIO, indexer: BlockIndexer
) -> Iterator[tuple[BlockResult, TextPart, int, int]]:
    """The blocks of a JSON-lines file, read from its start: (block, its texts, its offset, its
    length in bytes); a line longer than the indexer's limit is skipped unread."""
    end = os.fstat(f.fileno()).st_size
    for pos, nbytes, data in lines.forward(f, 0, end, MEMORY_BLOCK, indexer.max_line):
        if data is None:
            result, texts = indexer.long_line(pos)
        else:
            result, texts = indexer.index_block(data, pos)
        yield result, texts, pos, nbytes


def _load_records(
    store: Store,
    records: list[Any],
    forced: str | None,
    lines: list[int] | None = None,
    skipped: list[tuple[int, str]] | None = None,
) -> None:
    """Index parsed records; ``lines``: the line each ends on (CSV), ``skipped``: the records
    already refused (line, why), numbered like them."""
    for result, texts, done in record_blocks(records, BlockIndexer(forced), lines, skipped):
        store.add_block(0, result, texts)
        store.progress = done


def record_blocks(
    records: list[Any],
    indexer: BlockIndexer,
    lines: list[int] | None = None,
    skipped: list[tuple[int, str]] | None = None,
) -> Iterator[tuple[BlockResult, TextPart, float]]:
    """The blocks of parsed records (a JSON document's, CSV rows): (block, its texts, the
    share of the records read so far). ``lines``: the line each record ends on (CSV),
    ``skipped``: the records already refused (line, why), numbered like them."""
    if skipped:
        result, texts = skipped_block(indexer, [(line - 1, why) for line, why in skipped])
        yield result, texts, 0.0
    step = RECORD_BLOCK
    for start in range(0, len(records), step):
        result, texts = index_records(records[start : start + step], indexer, start)
        if lines is not None:
            # CSV: skipped rows are numbered by their physical line in the file, so the block
            # adds no lines to the numbering of those after it (nor to its events' lines)
            result.invalid = [(lines[start + i] - 1, why) for i, why in result.invalid]
            if result.lines is not None:
                result.lines = np.asarray(
                    [lines[start + int(i)] - 1 for i in result.lines], np.int32
                )
            result.nlines = 0
        yield result, texts, min(1.0, (start + step) / max(len(records), 1))


def _open_spooled(data: bytes, origin: _Origin) -> Store:
    """Big decompressed or piped JSON lines: write them to a temporary file (removed when the
    store closes) so the parallel loader and by-offset reads can use it."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix="audit-tui-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError as exc:
        os.unlink(tmp)
        raise SourceError(
            f"{origin.label}: cannot spool to a temporary file ({exc.strerror})"
        ) from None
    store = _open_parallel(tmp, len(data), origin, 2)
    store.remove_on_close(tmp)
    return store


def _open_parallel(path: str, size: int, origin: _Origin, workers: int) -> Store:
    from audit_tui.sources.parallel import ShardedTextIndex, pump, start_workers

    conns, procs = start_workers(path, size, workers, origin.forced, origin.max_line)
    index = ShardedTextIndex(conns, procs)
    store = origin.new_store(index)
    store.format_name = format_label("JSON lines", describe_file(path, forced=origin.forced))
    store.set_raw_file(path)
    store.extent = size
    threading.Thread(target=pump, args=(store, conns, index, size), daemon=True).start()
    return store
