"""``--count-by FIELD``: one row per value with its count, from a store's columns or from rows.

Values are what the table shows (an actor as ``name <email>``, a workspace by name), so the
local store (dictionary codes) and a remote source (rows read from pages) give the same rows.
Time buckets (``hour``, ``day``) are UTC starts, oldest first, empty buckets included.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import orjson

from audit_tui.model import EPOCH, Party, Row
from audit_tui.output import actor_label, neutralise
from audit_tui.safe import clean

COUNT_FIELDS = (
    "actor",
    "event_type",
    "workspace",
    "organization",
    "resource_type",
    "file",
    "hour",
    "day",
)
FILE_ONLY = ("file",)  # fields only a source of files has (a store keeps each event's file)
TIME_FIELDS = {"hour": 3_600_000, "day": 86_400_000}
NONE = "(none)"


def party_value(field: str, p: Party) -> str:
    """The value of an actor, workspace or organization as the table shows it."""
    if field == "actor":
        row = Row(0, "", "", "", "", "", "", "", p.type, p.id, p.name, p.email, "", None)
        return actor_label(row) or NONE
    return p.name or p.id or ("(organization level)" if field == "workspace" else NONE)


def row_value(row: Row, field: str) -> str:
    if field == "actor":
        return actor_label(row) or NONE
    if field == "event_type":
        return row.event_type
    if field == "workspace":
        return row.workspace or "(organization level)"
    if field == "organization":
        return row.organization or NONE
    return row.resource_type or NONE


def ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most frequent first; equal counts by value."""
    return sorted(((v, n) for v, n in counts.items() if n), key=lambda x: (-x[1], x[0]))


def time_buckets(ts_ms: np.ndarray, field: str) -> list[tuple[str, int]]:
    """UTC buckets from the first to the last time, oldest first, empty ones included."""
    if len(ts_ms) == 0:
        return []
    size = TIME_FIELDS[field]
    buckets = np.floor_divide(ts_ms, size)
    first = int(buckets.min())
    counts = np.bincount(buckets - first)
    out = []
    for i, n in enumerate(counts.tolist()):
        start = EPOCH + timedelta(milliseconds=(first + i) * size)
        out.append((_bucket_name(start, field), n))
    return out


def bucket_rows(counts: dict[int, int], field: str) -> list[tuple[str, int]]:
    """:func:`time_buckets` from counts already grouped by bucket (bucket index since the
    epoch -> events), as an engine gives them: empty buckets between filled in."""
    if not counts:
        return []
    size = TIME_FIELDS[field]
    first, last = min(counts), max(counts)
    return [
        (_bucket_name(EPOCH + timedelta(milliseconds=b * size), field), counts.get(b, 0))
        for b in range(first, last + 1)
    ]


def _bucket_name(start: datetime, field: str) -> str:
    start = start.astimezone(UTC)
    return start.strftime("%Y-%m-%d") if field == "day" else start.strftime("%Y-%m-%dT%H:00:00Z")


def count_rows(rows: Iterable[Row], field: str) -> list[tuple[str, int]]:
    if field in TIME_FIELDS:
        return time_buckets(np.asarray([r.audited_at for r in rows], dtype=np.int64), field)
    return ranked(Counter(row_value(r, field) for r in rows))


def render(counts: Sequence[tuple[str, int]], fmt: str) -> str:
    """The rows in ``fmt``: table (aligned, sanitised), csv (header value,count), json, jsonl."""
    if fmt == "json":
        return orjson.dumps([{"value": v, "count": n} for v, n in counts]).decode() + "\n"
    if fmt == "jsonl":
        return "".join(orjson.dumps({"value": v, "count": n}).decode() + "\n" for v, n in counts)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["value", "count"])
        for v, n in counts:
            writer.writerow([neutralise(v), n])
        return buf.getvalue()
    cells = [(clean(v, 60), f"{n:,}") for v, n in counts]
    width = max([len("value"), *(len(v) for v, _ in cells)])
    nwidth = max([len("count"), *(len(n) for _, n in cells)])
    lines = [f"{'value'.ljust(width)}  {'count'.rjust(nwidth)}"]
    lines += [f"{v.ljust(width)}  {n.rjust(nwidth)}" for v, n in cells]
    return "\n".join(lines) + "\n"
