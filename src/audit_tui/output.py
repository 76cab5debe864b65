"""Writers for query results: an aligned table, JSON lines, JSON and CSV.

JSON and JSON lines carry the original records unchanged. CSV and the table are built from the
flat :class:`~audit_tui.model.Row`. CSV cells that a spreadsheet would run as a formula are
neutralised (OWASP: a leading single quote), keeping their text.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

import msgspec
import orjson

from audit_tui.model import Row, iso_ms, party
from audit_tui.safe import clean, clean_json_bytes

CSV_COLUMNS = (
    "audited_at",
    "event_type",
    "resource_type",
    "resource_id",
    "resource_name",
    "organization",
    "workspace",
    "actor_type",
    "actor_id",
    "actor_name",
    "actor_email",
    "id",
    "metadata",
)
ORIGIN_COLUMNS = ("file", "line")  # after CSV_COLUMNS when the source is several files
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ACTOR_MARKERS = {"system": "system", "api_key": "key", "service_account": "service", "ip": "ip"}


_FORMULA_CHARS = frozenset(_FORMULA_START)


def neutralise(cell: str) -> str:
    """Defuse spreadsheet formula injection: prefix a quote to a risky first character."""
    return "'" + cell if cell and cell[0] in _FORMULA_CHARS else cell


def is_terminal(stream: Any) -> bool:
    """The one rule for every command's output: is ``stream`` a terminal? Then the writers
    are asked to make what they write safe for it (``terminal=True``); to a file or a pipe the
    bytes stay exact."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


TOO_DEEP = "(metadata nested too deeply to write here: see the JSON export)"
_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# what orjson writes for a number it read lossily: null (beyond float range) or an exponent
_MAYBE_LOSSY = re.compile(r"null|\de[+-]?\d")
# ...and only when the record holds such a number: 19 digits or more, or a 3-digit exponent
_BIG_NUMBER = re.compile(rb"\d{19}|\d[eE][+-]?\d{3}")


# The same two tests on bytes with C-speed scans (each regex costs ~20 µs a record; these ~1):
# digits become 0 and e/E become e, everything else a space, then plain substring tests.
def _shape_table(exponents: bytes) -> bytes:
    return bytes(
        48 if 48 <= b <= 57 else 101 if b in exponents else b if b in b"+-" else 32
        for b in range(256)
    )


_SHAPE = _shape_table(b"eE")  # _BIG_NUMBER: e or E
_LOWER_SHAPE = _shape_table(b"e")  # _MAYBE_LOSSY: e only
_DIGITS19 = b"0" * 19
SHALLOW = 200  # brackets in a metadata text below which Python's JSON reader never recurses out


def _maybe_lossy(text: bytes) -> bool:
    """``_MAYBE_LOSSY.search(text.decode())`` (orjson's output), fast."""
    if not text.isascii():  # other digits than 0-9 are digits to the str pattern
        return _MAYBE_LOSSY.search(text.decode("utf-8", "replace")) is not None
    if b"null" in text:
        return True
    shape = text.translate(_LOWER_SHAPE)
    return b"0e0" in shape or b"0e+0" in shape or b"0e-0" in shape


def _big_number(raw: bytes) -> bool:
    """``_BIG_NUMBER.search(raw)``, fast."""
    shape = raw.translate(_SHAPE)
    return _DIGITS19 in shape or b"0e000" in shape or b"0e+000" in shape or b"0e-000" in shape


def metadata_text(metadata: Any, raw: bytes | None = None) -> str:
    """The metadata cell: compact JSON. A value orjson cannot write (an integer beyond 64 bits,
    deep nesting) or may have changed (``null`` for a number beyond float range, a float in
    exponent form for an integer beyond 64 bits) is taken as the record's
    own text of ``metadata`` when ``raw`` holds it; otherwise :data:`TOO_DEEP` or Python's
    JSON of it. One such value never fails the whole output."""
    return _metadata_cell(metadata, raw, None)


def _metadata_cell(metadata: Any, raw: bytes | None, source: bytes | None) -> str:
    """:func:`metadata_text`; ``source``: the record's own text of ``metadata`` when the
    caller already has it (read by msgspec), which spares looking for it in ``raw``."""
    if metadata is None:
        return ""
    try:
        data = orjson.dumps(metadata)
    except orjson.JSONEncodeError:
        text = None
    else:
        # the record's own text written back as it was (compact JSON, most records): whichever
        # of it and orjson's text is chosen below, it is the same text (orjson wrote it, so
        # it is not nested deeply enough to make the reading of ``raw`` give up)
        if data == source or raw is None or not _maybe_lossy(data) or not _big_number(raw):
            return data.decode()
        text = data.decode()
    if source is not None and source.count(b"[") + source.count(b"{") < SHALLOW:
        return source.decode("utf-8", "replace")  # what metadata_source_text finds in raw
    original = metadata_source_text(raw) if raw is not None else None
    if original is not None:
        return original
    if text is not None:
        return text
    try:
        return json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))
    except (RecursionError, ValueError):
        return TOO_DEEP


def metadata_source_text(raw: bytes) -> str | None:
    """The text of the top-level ``metadata`` value exactly as the record holds it (None when
    the record is not an object holding one); :data:`TOO_DEEP` past Python's nesting limit."""
    text = raw.decode("utf-8", "replace")
    scan = _DECODER.raw_decode  # one JSON value at an index: (value, its end)
    try:
        i = _skip(text, 0)
        if text[i : i + 1] != "{":
            return None
        i = _skip(text, i + 1)
        while text[i : i + 1] == '"':
            key, i = scan(text, i)
            i = _skip(text, i)
            if text[i : i + 1] != ":":
                return None
            start = _skip(text, i + 1)
            _, i = scan(text, start)
            if key == "metadata":
                return text[start:i]
            i = _skip(text, i)
            if text[i : i + 1] != ",":
                return None
            i = _skip(text, i + 1)
        return None
    except RecursionError:
        return TOO_DEEP
    except (StopIteration, ValueError):
        return None


def _skip(text: str, i: int) -> int:
    """The index after the JSON whitespace at ``i``."""
    m = _WHITESPACE.match(text, i)
    return m.end() if m else i


def csv_cells(row: Row, raw: bytes | None = None) -> list[str]:
    """The CSV cells of a row (``raw``: its record's bytes, for an exact metadata cell)."""
    metadata = metadata_text(row.metadata, raw)
    values = [
        iso_ms(row.audited_at),
        row.event_type,
        row.resource_type,
        row.resource_id,
        row.resource_name,
        row.organization,
        row.workspace,
        row.actor_type,
        row.actor_id,
        row.actor_name,
        row.actor_email,
        row.id,
        metadata,
    ]
    return [neutralise(v) for v in values]


class _Cells(msgspec.Struct):
    """What a CSV row reads of a native record besides its time and type (which the index
    holds): its parties and metadata as their own JSON text (parties repeat: each distinct
    text is read once, see :class:`NativeCells`)."""

    audited_at: Any = None
    auditedAt: Any = None  # noqa: N815 - the camelCase spelling
    id: Any = None
    resource: msgspec.Raw = None  # type: ignore[assignment]  # (Raw | None cannot decode)
    organization: msgspec.Raw = None  # type: ignore[assignment]
    workspace: msgspec.Raw = None  # type: ignore[assignment]
    actor: msgspec.Raw = None  # type: ignore[assignment]
    metadata: msgspec.Raw = None  # type: ignore[assignment]


_CELLS = msgspec.json.Decoder(_Cells).decode
PARTY_CACHE = 50_000  # distinct party texts remembered by one NativeCells


class NativeCells:
    """:func:`csv_cells` of native records, given their time and event type (from the
    index): the same cells without parsing or building the rest of the record. Only
    ``metadata`` is parsed (to write it as compact JSON); each distinct text of a party (an
    actor, a workspace… repeat across events) is read once."""

    def __init__(self) -> None:
        self._parties: dict[bytes, tuple[str, ...]] = {}

    def _party(self, key: bytes) -> tuple[str, ...]:
        """(type, id, name, name or id, email) of a party's JSON text, neutralised."""
        p = party(orjson.loads(key)) if key else party(None)
        found = tuple(neutralise(v) for v in (p.type, p.id, p.name, p.name or p.id, p.email))
        if len(self._parties) >= PARTY_CACHE:
            self._parties.clear()
        self._parties[key] = found
        return found

    def cells(self, raw: bytes, time: str, event_type: str) -> list[str] | None:
        """The cells of the record ``raw`` whose time (:func:`iso_ms`) and event type are
        given; None when the record is not native or not plain (the caller takes the general
        way: its row, :func:`csv_cells`)."""
        try:
            rec = _CELLS(raw)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None
        if rec.audited_at is None and rec.auditedAt is None:
            return None  # a foreign record: its format's mapper makes the row
        if rec.metadata is None:
            meta = ""
        else:
            source = bytes(rec.metadata)
            try:
                value = orjson.loads(source)
            except (orjson.JSONDecodeError, RecursionError):
                return None
            meta = neutralise(_metadata_cell(value, raw, source))
        known = self._parties.get
        keys = [
            b"" if v is None else bytes(v)
            for v in (rec.resource, rec.organization, rec.workspace, rec.actor)
        ]
        try:
            resource, org, ws, actor = [known(k) or self._party(k) for k in keys]
        except (orjson.JSONDecodeError, RecursionError):
            return None
        ident = rec.id
        ident = "" if ident is None else ident if isinstance(ident, str) else str(ident)
        return [
            neutralise(time),
            neutralise(event_type),
            resource[0],
            resource[1],
            resource[2],
            org[3],
            ws[3],
            actor[0],
            actor[1],
            actor[2],
            actor[4],
            neutralise(ident),
            meta,
        ]


def write_csv_records(
    out: IO[str], records: Iterable[tuple[Row, bytes]], *, terminal: bool = False
) -> int:
    """:func:`write_csv_rows` of rows given with their records' bytes: a metadata value that
    orjson cannot write exactly is written as the record's own text of it."""
    return _write_csv_cells(out, (csv_cells(row, raw) for row, raw in records), terminal)


def write_csv_rows(out: IO[str], rows: Iterable[Row], *, terminal: bool = False) -> int:
    """The header then one line per row: RFC 4180 quoting, CRLF line ends, cells neutralised.

    ``terminal``: the output is a terminal, not a file: every cell also goes through the
    sanitiser, so no control character of an event reaches the terminal raw.
    ``out`` needs only a ``write(str)`` method (the csv module calls it once per line)."""
    return _write_csv_cells(out, (csv_cells(row) for row in rows), terminal)


def _write_csv_cells(
    out: IO[str], lines: Iterable[list[str]], terminal: bool, header: Sequence[str] = CSV_COLUMNS
) -> int:
    # RFC 4180 as the csv module writes it (QUOTE_MINIMAL, CRLF), built here: csv.writer
    # spends ~10 µs a row of 13 cells, this ~3 (tests/test_csv_export.py checks they agree);
    # rows are passed on CSV_BATCH at a time, so what follows (encoding, hashing) runs per batch
    out.write(csv_line(header))
    n = 0
    for batch in _batches(lines, CSV_BATCH):
        if terminal:
            batch = [[clean(c) for c in cells] for cells in batch]
        out.write("".join([csv_line(cells) for cells in batch]))
        n += len(batch)
    return n


CSV_BATCH = 500
_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def csv_line(cells: Sequence[str]) -> str:
    """One CSV line, CRLF-terminated, exactly as ``csv.writer(lineterminator="\\r\\n")``
    writes it: a cell holding a quote, a comma, CR or LF is quoted, its quotes doubled."""
    search = _NEEDS_QUOTES.search
    if len(cells) < 2:
        if not cells:
            return "\r\n"
        if cells[0] == "":
            return '""\r\n'  # (a line of nothing would read back as no cell at all)
    # the cells but the last as one text first: in a row of events only the last one
    # (metadata) needs quotes, most of the time
    head = cells[:-1]
    last = cells[-1]
    if search("".join(head)) is None:
        line = ",".join(head)
    else:
        line = ",".join(['"' + c.replace('"', '""') + '"' if search(c) else c for c in head])
    if search(last) is not None:
        last = '"' + last.replace('"', '""') + '"'
    return (line + "," + last if head else last) + "\r\n"


def _batches(items: Iterable[list[str]], size: int) -> Iterator[list[list[str]]]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


def write_jsonl(out: IO[bytes], raws: Iterable[bytes], *, terminal: bool = False) -> int:
    """One record a line, exactly as read; ``terminal``: every control, C1 and bidi character
    written as a JSON ``\\uXXXX`` escape instead (the same JSON, nothing raw on the screen)."""
    n = 0
    for raw in raws:
        line = raw.rstrip(b"\r\n")
        out.write(clean_json_bytes(line) if terminal else line)
        out.write(b"\n")
        n += 1
    return n


def write_json(out: IO[bytes], raws: Iterable[bytes], *, terminal: bool = False) -> int:
    """One JSON array of the records, exactly as read; ``terminal``: as :func:`write_jsonl`."""
    n = 0
    out.write(b"[")
    for raw in raws:
        out.write(b"\n  " if n == 0 else b",\n  ")
        record = raw.strip()
        out.write(clean_json_bytes(record) if terminal else record)
        n += 1
    out.write(b"\n]\n" if n else b"]\n")
    return n


def actor_label(row: Row) -> str:
    name = row.actor_name or row.actor_id
    marker = ACTOR_MARKERS.get(row.actor_type)
    if marker:
        return f"{name} [{marker}]" if name else f"[{marker}]"
    if row.actor_email and row.actor_email != name:
        return f"{name} <{row.actor_email}>" if name else row.actor_email
    return name


def resource_label(row: Row) -> str:
    name = row.resource_name or row.resource_id
    if row.resource_type:
        return f"{name} ({row.resource_type})" if name else f"({row.resource_type})"
    return name


TABLE_HEADERS = ("Audited At (UTC)", "Event Type", "Resource", "Organization", "Workspace", "Actor")
TABLE_LIMITS = (19, 30, 34, 20, 20, 40)


def table_cells(row: Row) -> tuple[str, ...]:
    return (
        iso_ms(row.audited_at)[:19].replace("T", " "),
        row.event_type,
        resource_label(row),
        row.organization,
        row.workspace or "—",
        actor_label(row),
    )


def table_lines(rows: Iterable[Row]) -> Iterator[str]:
    """The six columns, aligned, every value sanitised and cut to its column's cap."""
    cells = [
        tuple(clean(v, limit) for v, limit in zip(table_cells(r), TABLE_LIMITS, strict=True))
        for r in rows
    ]
    widths = [len(h) for h in TABLE_HEADERS]
    for line in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, line, strict=True)]
    yield "  ".join(h.ljust(w) for h, w in zip(TABLE_HEADERS, widths, strict=True)).rstrip()
    for line in cells:
        yield "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
