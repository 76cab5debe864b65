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
import sys
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from audit_tui.sources.blocks import BlockIndexer, index_records
from audit_tui.sources.formats import (
    describe_file,
    describe_formats,
    describe_lines,
    format_label,
    normalise,
    resolve,
)
from audit_tui.store import Store, TextIndex

# CloudTrail log files: "Records"; aws cloudtrail lookup-events: "Events"; Azure REST: "value"
ENVELOPE_KEYS = ("data", "items", "events", "records", "Records", "Events", "value")
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

    def new_store(self, text_index: TextIndex | None = None) -> Store:
        native = partial(normalise, forced=self.forced)
        return Store(self.label, text_index, native=native, source=self.source)


def _resolve(input_format: str | None) -> str | None:
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
) -> Store:
    """Start loading ``spec`` (a path, ``-`` for stdin, None or ``demo`` for the sample).

    ``input_format`` (a name of ``formats.NAMES``, or "auto") reads every non-native record as
    that format instead of detecting it per record (None: detect)."""
    forced = _resolve(input_format)
    if spec is None or demo:
        return _open_sample(now, _Origin("sample data", "", forced))
    if spec == "-":
        return _open_bytes(
            _maybe_gunzip(sys.stdin.buffer.read(), "stdin"), _Origin("stdin", "-", forced), ""
        )
    return _open_path(spec, workers, _Origin(spec, spec, forced))


def open_data(
    data: bytes,
    label: str,
    *,
    kind: str | None = None,
    input_format: str | None = None,
    source: str | None = None,
) -> Store:
    """Start loading events held in memory (standard input already read, for instance).

    ``kind`` ("jsonl", "json" or "csv") says what the data is when the caller knows (otherwise
    its content decides); ``source`` is what opens it again, when there is such a thing."""
    origin = _Origin(label, source, _resolve(input_format))
    return _open_bytes(_maybe_gunzip(data, label), origin, "", kind=kind)


def _open_sample(now: datetime | None, origin: _Origin) -> Store:
    from audit_tui.sources.sample import sample_bytes

    data = sample_bytes(now)
    store = origin.new_store()
    _start(store, lambda: _load_jsonl_buffer(store, data, origin.forced))
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
    _refuse_binary(head, spec)
    ext = suffixes[-1] if suffixes else ""
    kind = _kind_by_ext(ext) or sniff_file(path)
    if kind != "jsonl":
        return _open_bytes(_read(path, spec), origin, ext, kind=kind)
    if size >= PARALLEL_MIN_BYTES and (workers or 2) > 1:
        return _open_parallel(str(path), size, origin, workers or 2)
    store = origin.new_store()
    store.format_name = format_label("JSON lines", describe_file(str(path), forced=origin.forced))
    store.set_raw_file(str(path))
    _start(store, lambda: _load_jsonl_file(store, str(path), size, origin.forced))
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


def _refuse_binary(head: bytes, label: str) -> None:
    """JSON and CSV text never holds a raw NUL byte: whatever the extension says, this is not
    a file of audit events (and would otherwise load as thousands of invalid lines)."""
    if b"\x00" in head[:4096]:
        raise SourceError(
            f"{label}: looks like binary data; audit-tui reads JSON lines, JSON or CSV "
            "(UTF-8, optionally gzipped)"
        )


def _kind_by_ext(ext: str) -> str | None:
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}.get(ext)


def sniff_file(path: Path) -> str:
    """What a file's first 64 KiB look like: "jsonl", "json", "csv", "binary" or "unknown"."""
    with open(path, "rb") as f:
        head = f.read(64 * 1024)
    return _sniff(head)


def _sniff(head: bytes) -> str:
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
    _refuse_binary(data, label)
    kind = kind or _kind_by_ext(ext) or _sniff(data[: 64 * 1024])
    as_lines = kind == "jsonl" or (kind == "json" and _looks_like_lines(data))
    if as_lines and len(data) >= PARALLEL_MIN_BYTES:
        return _open_spooled(data, origin)
    store = origin.new_store()
    if as_lines:
        described = describe_lines(data[: 64 * 1024], forced=forced)
        store.format_name = format_label("JSON lines", described)
        store.set_raw_buffer(data)
        _start(store, lambda: _load_jsonl_buffer(store, data, forced))
        return store
    if kind == "json":
        records = _json_records(data, label)
        store.format_name = format_label("JSON", describe_formats(records[:200], forced))
        store.unit = "record"
        _start(store, lambda: _load_records(store, records, forced))
        return store
    if kind == "csv":
        records, lines = _csv_records(data, label)
        store.format_name = format_label("CSV", describe_formats(records[:200], forced))
        _start(store, lambda: _load_records(store, records, forced, lines))
        return store
    what = "binary data" if kind == "binary" else "an unknown format"
    raise SourceError(
        f"{label}: looks like {what}; audit-tui reads JSON lines, JSON or CSV (optionally gzipped)"
    )


def _looks_like_lines(data: bytes) -> bool:
    """A .json file that holds JSON lines (several documents, one per line)."""
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        first = data.lstrip().split(b"\n", 1)[0]
        try:
            return isinstance(orjson.loads(first), dict)
        except orjson.JSONDecodeError:
            return False
    return False


def _json_records(data: bytes, label: str) -> list[Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SourceError(
            f"{label}: not valid JSON ({exc}); fix the file or convert it to JSON lines"
        ) from None
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


def _csv_records(data: bytes, label: str) -> tuple[list[Any], list[int]]:
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
    try:
        for row in reader:
            # the nested record is what the store keeps: store.row() and the detail view read it
            records.append(csv_row_to_record(row))
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise SourceError(f"{label}: unreadable CSV at line {reader.line_num} ({exc})") from None
    if not reader.fieldnames:  # no line at all, or only blank lines
        raise SourceError(f"{label}: empty CSV; it needs a header row")
    return records, lines


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


def _load_jsonl_buffer(store: Store, data: bytes, forced: str | None) -> None:
    store.set_raw_buffer(data)
    indexer = BlockIndexer(forced)
    pos, size = 0, len(data)
    while pos < size:
        end = data.rfind(b"\n", pos, pos + MEMORY_BLOCK)
        end = size if end < 0 or pos + MEMORY_BLOCK >= size else end + 1
        result, texts = indexer.index_block(data[pos:end], pos)
        store.add_block(0, result, texts)
        pos = end
        store.progress = pos / size


def _load_jsonl_file(store: Store, path: str, size: int, forced: str | None) -> None:
    indexer = BlockIndexer(forced)
    with open(path, "rb") as f:
        pos = 0
        while True:
            data = f.read(MEMORY_BLOCK)
            if not data:
                break
            if len(data) == MEMORY_BLOCK:
                data += f.readline()
            result, texts = indexer.index_block(data, pos)
            store.add_block(0, result, texts)
            pos += len(data)
            store.progress = pos / max(size, 1)


def _load_records(
    store: Store, records: list[Any], forced: str | None, lines: list[int] | None = None
) -> None:
    indexer = BlockIndexer(forced)
    step = RECORD_BLOCK
    for start in range(0, len(records), step):
        result, texts = index_records(records[start : start + step], indexer, start)
        if lines is not None:
            # CSV: skipped rows are numbered by their physical line in the file, so the block
            # adds no lines to the numbering of those after it
            result.invalid = [(lines[start + i] - 1, why) for i, why in result.invalid]
            result.nlines = 0
        store.add_block(0, result, texts)
        store.progress = min(1.0, (start + step) / max(len(records), 1))


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

    conns, procs = start_workers(path, size, workers, origin.forced)
    index = ShardedTextIndex(conns, procs)
    store = origin.new_store(index)
    store.format_name = format_label("JSON lines", describe_file(path, forced=origin.forced))
    store.set_raw_file(path)
    threading.Thread(target=pump, args=(store, conns, index, size), daemon=True).start()
    return store
