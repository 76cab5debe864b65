"""Writers for query results: an aligned table, JSON lines, JSON and CSV.

JSON and JSON lines carry the original records unchanged. CSV and the table are built from the
flat :class:`~audit_tui.model.Row`. CSV cells that a spreadsheet would run as a formula are
neutralised (OWASP: a leading single quote), keeping their text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO

import orjson

from audit_tui.model import Row, iso_ms
from audit_tui.safe import clean

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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ACTOR_MARKERS = {"system": "system", "api_key": "key", "service_account": "service", "ip": "ip"}


def neutralise(cell: str) -> str:
    """Defuse spreadsheet formula injection: prefix a quote to a risky first character."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def csv_cells(row: Row) -> list[str]:
    metadata = "" if row.metadata is None else orjson.dumps(row.metadata).decode()
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


def write_csv_rows(out: IO[str], rows: Iterable[Row], *, terminal: bool = False) -> int:
    """The header then one line per row: RFC 4180 quoting, CRLF line ends, cells neutralised.

    ``terminal``: the output is a terminal, not a file: every cell also goes through the
    sanitiser, so no control character of an event reaches the terminal raw.
    ``out`` needs only a ``write(str)`` method (the csv module calls it once per line)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for row in rows:
        cells = csv_cells(row)
        writer.writerow([clean(c) for c in cells] if terminal else cells)
        n += 1
    return n


def write_jsonl(out: IO[bytes], raws: Iterable[bytes]) -> int:
    n = 0
    for raw in raws:
        out.write(raw.rstrip(b"\r\n"))
        out.write(b"\n")
        n += 1
    return n


def write_json(out: IO[bytes], raws: Iterable[bytes]) -> int:
    n = 0
    out.write(b"[")
    for raw in raws:
        out.write(b"\n  " if n == 0 else b",\n  ")
        out.write(raw.strip())
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
