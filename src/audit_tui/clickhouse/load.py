"""Loading: the events of a loaded :class:`~audit_tui.store.Store` into the audit table, in
batches, idempotently.

Each event is read the way the store reads it (its native form, :func:`model.flatten`), its
facet names are folded with :mod:`audit_tui.facets`' rules and its search text is the store's
reference form (:func:`textindex.record_text`), so the engine answers as the store does. A batch
travels as one JSON-lines query parameter; the engine parses it, hashes each original record, and
inserts only the events whose (id, content hash) the table does not hold yet.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from audit_tui.clickhouse.engine import Engine, table_name
from audit_tui.clickhouse.schema import (
    HEX_LIKE,
    LOADED_COLUMNS,
    SHARED_COLUMN,
    columns_sql,
    create_table_sql,
    ensure_columns_sql,
    holders_table,
    side_tables_sql,
    values_table,
)
from audit_tui.facets import selection_names
from audit_tui.model import InvalidRecord, flatten, load_json, party
from audit_tui.store import Store
from audit_tui.textindex import SEP, record_text

BATCH = 20_000
# The instants DateTime64(3) holds: 1900-01-01 .. 2299-12-31T23:59:59.999 (epoch ms)
MIN_TIME_MS = -2_208_988_800_000
MAX_TIME_MS = 10_413_791_999_999

Progress = Callable[[int, int], None]  # (events done, events in all)
Record = dict[str, Any]


@dataclass
class LoadReport:
    read: int  # records offered (the valid events of a store)
    inserted: int  # new rows in the table
    out_of_range: int  # valid events whose time ClickHouse cannot hold
    # records that are no event, by their number in the order offered (1-based), and why
    invalid: list[tuple[int, str]] = field(default_factory=list)


def ensure_table(engine: Engine, table: str) -> None:
    engine.command(create_table_sql(table))
    for sql in side_tables_sql(table):
        engine.command(sql)
    columns = {r["name"] for r in engine.rows(columns_sql(), {"t": table})}
    for sql in ensure_columns_sql(table, columns):
        engine.command(sql)


def event_row(store: Store, position: int) -> dict[str, object]:
    """The loaded columns of the event at a store position (see schema.LOADED_COLUMNS)."""
    return event_columns(store.raw(position), store.native)


def event_columns(raw: bytes, read_native: Callable[[Record], Record]) -> dict[str, object]:
    """The loaded columns of one original record, read in its native form by ``read_native``
    (the store's reading of its source's format)."""
    parsed = load_json(raw)
    record = parsed if isinstance(parsed, dict) else {"value": parsed}
    native = read_native(record)
    row = flatten(native)
    actor = party(native.get("actor"))
    org = party(native.get("organization"))
    ws = party(native.get("workspace"))
    akey = None if native.get("actor") is None else tuple(actor)
    wkey = None if native.get("workspace") is None else tuple(ws)
    return {
        "time_ms": row.audited_at,
        "id": row.id,
        "event_type": row.event_type,
        "event_type_key": next(iter(selection_names("event_types", row.event_type))),
        "actor_id": actor.id,
        "actor_name": actor.name,
        "actor_email": actor.email,
        "actor_type": actor.type,
        "actor_keys": sorted(selection_names("actors", akey)),
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "resource_name": row.resource_name,
        "organization_id": org.id,
        "organization_name": org.name,
        "workspace_id": ws.id,
        "workspace_name": ws.name,
        "workspace_keys": sorted(selection_names("workspaces", wkey)),
        "metadata": "" if row.metadata is None else orjson.dumps(row.metadata).decode(),
        "search": (search := record_text(parsed, raw).decode("utf-8", "replace")),
        "values": search.split(SEP),
        "raw": raw.decode("utf-8", "replace"),
    }


def split_values(rows: list[dict[str, object]]) -> None:
    """Each row's search values (``values``: its search text cut at the separators) as the
    table keeps them: the values no other row of the batch holds, joined by SEP, in
    ``search_hex`` when made of :data:`HEX_LIKE` characters only (ids, times, hashes,
    addresses) and in ``search_text`` otherwise; the others in ``search_shared``, which the
    side tables keep once each with the events holding them."""
    seen: Counter[str] = Counter()
    distinct = [list(dict.fromkeys(row.pop("values"))) for row in rows]  # type: ignore[call-overload]
    for values in distinct:
        seen.update(values)
    hexlike = HEX_LIKE.issuperset
    for row, values in zip(rows, distinct, strict=True):
        once = [v for v in values if seen[v] == 1 and v]
        row["search_text"] = SEP.join([v for v in once if not hexlike(v)])
        row["search_hex"] = SEP.join([v for v in once if hexlike(v)])
        row["search_shared"] = [v for v in values if seen[v] > 1 and v]


def _side_sql(table: str) -> list[str]:
    """The inserts of a batch's repeated values into the side tables (the engine hashes each
    original record as for the audit table)."""
    return [
        f"INSERT INTO {table_name(values_table(table))} (value) "
        "SELECT DISTINCT arrayJoin(search_shared) FROM {rows}",
        f"INSERT INTO {table_name(holders_table(table))} (value, content_hash) "
        "SELECT arrayJoin(search_shared) AS value, cityHash64(raw) AS content_hash FROM {rows}",
    ]


def _insert_sql(table: str) -> str:
    t = table_name(table)
    names = [name for name, _ in LOADED_COLUMNS if name != "time_ms"]
    return (
        f"INSERT INTO {t} (time, {', '.join(names)}, content_hash) "
        f"SELECT fromUnixTimestamp64Milli(time_ms, 'UTC') AS time, {', '.join(names)}, "
        "cityHash64(raw) AS content_hash "
        "FROM {rows} "
        "WHERE (id, content_hash) NOT IN ("
        f"SELECT id, content_hash FROM {t} "
        "WHERE time BETWEEN fromUnixTimestamp64Milli({lo:Int64}, 'UTC') "
        "AND fromUnixTimestamp64Milli({hi:Int64}, 'UTC')) "
        "LIMIT 1 BY id, content_hash"
    )


@dataclass
class Batch:
    """One batch's rows as JSON lines, ready for the engine."""

    data: bytes
    count: int
    lo: int  # the oldest and newest time, epoch ms
    hi: int
    out_of_range: int
    offered: int  # records in the batch, valid or not
    invalid: list[tuple[int, str]]  # (index in the batch, why) of records that are no event


def encode_batch(raws: list[bytes], read_native: Callable[[Record], Record]) -> Batch:
    """The loaded columns of ``raws`` as JSON lines (run in a worker process); a record that
    is no event (not JSON, no time or type) is left out and said why."""
    rows: list[dict[str, object]] = []
    invalid: list[tuple[int, str]] = []
    lo, hi, out_of_range = MAX_TIME_MS, MIN_TIME_MS, 0
    for i, raw in enumerate(raws):
        try:
            row = event_columns(raw, read_native)
        except InvalidRecord as exc:
            invalid.append((i, str(exc)))
            continue
        except (ValueError, TypeError, RecursionError) as exc:
            invalid.append(
                (i, "invalid JSON" if isinstance(exc, ValueError) else type(exc).__name__)
            )
            continue
        ms = row["time_ms"]
        assert isinstance(ms, int)
        if not MIN_TIME_MS <= ms <= MAX_TIME_MS:
            out_of_range += 1
            continue
        lo, hi = min(lo, ms), max(hi, ms)
        rows.append(row)
    split_values(rows)
    data = b"\n".join(map(orjson.dumps, rows))
    return Batch(data, len(rows), lo, hi, out_of_range, len(raws), invalid)


def _encoded(
    chunks: Iterable[list[bytes]], read_native: Callable[[Record], Record], workers: int
) -> Iterator[Batch]:
    """The chunks of records encoded, in order; ``workers`` processes encode them while the
    engine inserts (a few batches ahead, so memory stays bounded)."""
    if workers <= 1:
        for raws in chunks:
            yield encode_batch(raws, read_native)
        return
    ctx = multiprocessing.get_context("spawn")  # the engine's threads make fork unsafe
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        pending: deque[Future[Batch]] = deque()
        for raws in chunks:
            pending.append(pool.submit(encode_batch, raws, read_native))
            if len(pending) > workers + 1:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def count_rows(engine: Engine, table: str) -> int:
    rows = engine.rows(f"SELECT count() AS n FROM {table_name(table)}")
    return int(rows[0]["n"])


def load_records(
    chunks: Iterable[list[bytes]],
    read_native: Callable[[Record], Record],
    engine: Engine,
    table: str,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> LoadReport:
    """Insert the records of ``chunks`` (each a batch of original records, read in their
    native form by ``read_native``) that the table does not hold yet; ``progress`` is told
    the records handled so far after each batch. Records that are no event are counted in
    the report, not loaded."""
    ensure_table(engine, table)
    before = count_rows(engine, table)
    report = LoadReport(read=0, inserted=0, out_of_range=0)
    sql = [*_side_sql(table), _insert_sql(table)]
    structure = ", ".join(f"{name} {kind}" for name, kind in (*LOADED_COLUMNS, SHARED_COLUMN))
    for encoded in _encoded(chunks, read_native, workers):
        report.out_of_range += encoded.out_of_range
        report.invalid += [(report.read + i + 1, why) for i, why in encoded.invalid]
        if encoded.count:
            params = {"lo": encoded.lo, "hi": encoded.hi}
            engine.insert_select(sql, encoded.data, structure, params)
        report.read += encoded.offered
        if progress is not None:
            progress(report.read)
    report.inserted = count_rows(engine, table) - before
    return report


def load_store(
    store: Store,
    engine: Engine,
    table: str,
    progress: Progress | None = None,
    batch: int = BATCH,
    workers: int | None = None,
) -> LoadReport:
    """Insert the events of a finished ``store`` that the table does not hold yet
    (``workers``: processes that prepare the batches; default one per CPU, none for small
    stores)."""
    if workers is None:
        workers = (os.cpu_count() or 1) if store.total > 4 * batch else 1
    chunks = (
        [store.raw(p) for p in range(start, min(start + batch, store.total))]
        for start in range(0, store.total, batch)
    )
    total = store.total

    def told(done: int) -> None:
        if progress is not None:
            progress(done, total)

    return load_records(chunks, store.native, engine, table, told, workers)
