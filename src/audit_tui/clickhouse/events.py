"""The query object over the audit table: every question one parameterised SQL query.

A page (newest first, keyset pagination on time, id and content hash: never OFFSET), the count,
the three facet lists with counts (each excluding its own facet, as the local store does) and
the timeline. The filters come from a :class:`~audit_tui.query.Query`: its window, its facet
selections (folded as :mod:`audit_tui.facets` folds them, matched against the folded names
stored when loading) and its words (each contained in the values-only search text).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson

from audit_tui import countby, searchlang
from audit_tui.clickhouse.engine import ClickHouseError, Engine, Param, table_name
from audit_tui.clickhouse.schema import (
    HEX_LIKE,
    columns_sql,
    ensure_columns_sql,
    holders_table,
    side_tables_sql,
    values_table,
)
from audit_tui.facets import describe, fold, selection_names
from audit_tui.model import EPOCH, Party, Row
from audit_tui.query import FACETS, Query, QueryError, parse_when, utcnow
from audit_tui.store import Facets, FacetValue
from audit_tui.textindex import SEP

_ROW_COLUMNS = (
    "toUnixTimestamp64Milli(time) AS time_ms, id, content_hash, event_type, resource_type, "
    "resource_id, resource_name, organization_id, organization_name, workspace_id, "
    "workspace_name, actor_type, actor_id, actor_name, actor_email, metadata, raw"
)
# the columns a facet entry's identity is read from (the party key: id, name, email, type)
_KEY_COLUMNS = {
    "actors": ("actor_id", "actor_name", "actor_email", "actor_type"),
    "workspaces": ("workspace_id", "workspace_name"),
    "event_types": ("event_type",),
}
# what the facet counts group on: a hash of the identity's columns (one UInt64 column, made by
# the table itself), the event type as it is
_GROUP = {"actors": "actor_hash", "workspaces": "workspace_hash", "event_types": "event_type"}


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last event's sort key (time ms, id, content hash)."""

    time_ms: int
    id: str
    content_hash: int


@dataclass(frozen=True)
class Event:
    row: Row
    raw: bytes
    cursor: Cursor


@dataclass(frozen=True)
class Page:
    events: list[Event]
    next: Cursor | None  # None: no more events


class Where:
    """Conditions as SQL with placeholders, and the parameters they name."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: dict[str, Param] = {}

    def add(self, sql: str, **params: Param) -> None:
        self.parts.append(sql)
        self.params.update(params)

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "1"


# the columns a field term of the search language looks in (any case, contained)
FIELD_COLUMNS = {
    "actor": ("actor_id", "actor_name", "actor_email"),
    "type": ("event_type",),
    "resource": ("resource_type", "resource_id", "resource_name"),
    "workspace": ("workspace_id", "workspace_name"),
    "org": ("organization_id", "organization_name"),
    "id": ("id",),
}


# Lists in lists a path term walks through at each step of its path (``a.b`` finds ``b`` in the
# items of a list at ``a``, and in the items of a list in that list, …).
LIST_DEPTH = 3
# The tokens of a JSON text that are values: a string not followed by ``:`` (a key is), or a
# number, true, false or null (as written). Groups: the string, the colon after it, the literal.
_VALUE_TOKENS = r'("(?:[^"\\]|\\.)*")(\s*:)?|(-?[0-9][0-9.eE+-]*|true|false|null)'


class Words:
    """How a value held by some value of an event is looked for (see docs/clickhouse.md).

    The table keeps an event's values that occur once in its batch with it (``search_text``,
    ``search_hex``), and the values that repeat once each in a side table with the events that
    hold them (by content hash). A word is looked for in the event's own values and in the
    distinct repeated values; the events holding those are picked by their hash (``GLOBAL IN``).
    A word in so many events that the set of their hashes would cost more than the text (one
    letter), a word across values (holding SEP), or a table without the split: the whole
    values-only text, ``search``."""

    def __init__(self, events: ClickHouseEvents) -> None:
        self.events = events
        self._heavy: dict[str, tuple[int, bool]] = {}
        self._nowhere: dict[str, tuple[int, bool]] = {}

    def condition(self, placeholder: str, needle: str) -> str:
        """The SQL condition "some value holds ``needle``" (its ``placeholder`` in the SQL)."""
        if not needle:
            return "1"
        if self.nowhere(needle):
            return "0"
        if SEP in needle or not self.events.split_search or self.heavy(needle):
            return f"multiSearchAny(search, [{placeholder}])"
        values = table_name(values_table(self.events.table))
        holders = table_name(holders_table(self.events.table))
        tests = [f"multiSearchAny(search_text, [{placeholder}])"]
        if HEX_LIKE.issuperset(needle):
            tests.append(f"multiSearchAny(search_hex, [{placeholder}])")
        tests.append(
            f"content_hash GLOBAL IN (SELECT content_hash FROM {holders} WHERE value IN "
            f"(SELECT value FROM {values} WHERE multiSearchAny(value, [{placeholder}])))"
        )
        return "(" + " OR ".join(tests) + ")"

    def nowhere(self, needle: str) -> bool:
        """Is ``needle`` in no event at all, as the n-gram index of the whole text says
        without reading it? Asked with a limit on the rows the index leaves to read (a word in
        most granules is refused at once, before reading); a word in few is counted."""
        total = self.events.total
        known = self._nowhere.get(needle)
        if known is not None and known[0] == total:
            return known[1]
        cap = max(PROBE_MIN, total // 100)
        sql = (
            f"SELECT count() AS n FROM {table_name(self.events.table)} "
            "WHERE multiSearchAny(search, [{w:String}]) "
            f"SETTINGS max_rows_to_read = {int(cap)}, read_overflow_mode = 'throw'"
        )
        try:
            nowhere = int(self.events.engine.rows(sql, {"w": needle})[0]["n"]) == 0
        except ClickHouseError as exc:
            if not any(sign in str(exc) for sign in ("Limit for rows", "TOO_MANY_ROWS")):
                raise
            nowhere = False
        if len(self._nowhere) > 1000:
            self._nowhere.clear()
        self._nowhere[needle] = (total, nowhere)
        return nowhere

    def heavy(self, needle: str) -> bool:
        """Is ``needle`` in the repeated values of so many events (at least
        :data:`HEAVY_SHARE` of the table's) that the whole text is read instead?"""
        total = self.events.total
        known = self._heavy.get(needle)
        if known is not None and known[0] == total:
            return known[1]
        cap = max(HEAVY_MIN, int(total * HEAVY_SHARE))
        values = table_name(values_table(self.events.table))
        holders = table_name(holders_table(self.events.table))
        sql = (
            f"SELECT count() AS n FROM (SELECT 1 FROM {holders} WHERE value IN (SELECT value "
            f"FROM {values} WHERE multiSearchAny(value, [{{w:String}}])) LIMIT {{cap:UInt64}})"
        )
        heavy = int(self.events.engine.rows(sql, {"w": needle, "cap": cap})[0]["n"]) >= cap
        if len(self._heavy) > 1000:
            self._heavy.clear()
        self._heavy[needle] = (total, heavy)
        return heavy


# A word held by the repeated values of at least this share of the events (and at least
# HEAVY_MIN) is looked for in the whole text: a set of that many hashes costs more to build
# and test than the text costs to read.
HEAVY_SHARE = 0.2
HEAVY_MIN = 10_000
# The rows (at least; else 1 % of the table) the n-gram index may leave to read for a word to
# be counted outright (and found in no event, or not)
PROBE_MIN = 32_768


class _Compiler:
    """The search language as one SQL condition, every value a query parameter."""

    def __init__(self, where: Where, now: datetime, words: Words) -> None:
        self.where = where
        self.now = now
        self.words = words
        self.n = 0

    def param(self, value: Param) -> str:
        name = f"q{self.n}"
        self.n += 1
        self.where.params[name] = value
        kind = (
            "Int64"
            if isinstance(value, int)
            else "Array(String)"
            if isinstance(value, list)
            else "String"
        )
        return f"{{{name}:{kind}}}"

    def sql(self, expr: searchlang.Expr) -> str:
        if isinstance(expr, searchlang.And):
            return "(" + " AND ".join(self.sql(i) for i in expr.items) + ")" if expr.items else "1"
        if isinstance(expr, searchlang.Or):
            return "(" + " OR ".join(self.sql(i) for i in expr.items) + ")"
        if isinstance(expr, searchlang.Not):
            return f"NOT {self.sql(expr.item)}"
        if isinstance(expr, searchlang.Time):
            bound = parse_when(expr.spec, self.now, end=expr.bound == "until")
            ms = (bound - EPOCH) // timedelta(milliseconds=1)
            op = ">=" if expr.bound == "since" else "<"
            return f"time {op} fromUnixTimestamp64Milli({self.param(ms)}, 'UTC')"
        if isinstance(expr, searchlang.Word):
            text = expr.text.lower()
            return self.words.condition(self.param(text), text)
        if isinstance(expr, searchlang.Field):
            if expr.name not in FIELD_COLUMNS:  # file: the table keeps no file names
                raise QueryError(
                    f"{expr.name}:{expr.value}: a ClickHouse table keeps no {expr.name} names; "
                    "search the files themselves (audit-tui query PATH…)"
                )
            needle = self.param(expr.value.lower())
            tests = [
                f"positionUTF8(lowerUTF8({c}), {needle}) > 0" for c in FIELD_COLUMNS[expr.name]
            ]
            return "(" + " OR ".join(tests) + ")"
        assert isinstance(expr, searchlang.Path)
        return self.path(expr)

    def path(self, expr: searchlang.Path) -> str:
        """Some value at or under the path contains the needle, as
        :func:`searchlang.path_values` reads the record: lists on the way are walked through
        (up to :data:`LIST_DEPTH` lists in lists at each step), every scalar under the path is
        a value, keys are not. The values-only search text must contain the needle first (a
        cheap test that spares the JSON work on the other rows)."""
        lowered = expr.value.lower()
        needle = self.param(lowered)
        nodes = "[raw]"
        for depth, key in enumerate(expr.keys):
            k = self.param(key)
            for level in range(LIST_DEPTH):
                v = f"l{depth}_{level}"
                nodes = (
                    f"arrayFlatten(arrayMap({v} -> if(JSONType({v}) = 'Array', "
                    f"JSONExtractArrayRaw({v}), [{v}]), {nodes}))"
                )
            v = f"o{depth}"
            nodes = (
                f"arrayMap({v} -> JSONExtractRaw({v}, {k}), arrayFilter({v} -> "
                f"JSONType({v}) = 'Object' AND JSONHas({v}, {k}), {nodes}))"
            )
        pattern = self.param(_VALUE_TOKENS)
        values = (
            "arrayFlatten(arrayMap(n -> arrayMap(g -> if(g[3] != '', g[3], "
            "JSONExtractString(concat('[', g[1], ']'), 1)), arrayFilter(g -> g[3] != '' OR "
            f"g[2] = '', extractAllGroupsVertical(n, {pattern}))), {nodes}))"
        )
        exact = f"arrayExists(v -> positionUTF8(lowerUTF8(v), {needle}) > 0, {values})"
        if SEP in lowered:  # cannot be in the search text: no cheap test
            return exact
        return f"({self.words.condition(needle, lowered)} AND {exact})"


def _window(where: Where, query: Query, now: datetime) -> None:
    window = query.window(now)
    if window.since is not None:
        where.add("time >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')", since=window.since)
    if window.until is not None:
        where.add("time < fromUnixTimestamp64Milli({until:Int64}, 'UTC')", until=window.until)


def _text(where: Where, query: Query, now: datetime, words: Words) -> None:
    if query.plain:
        for i, word in enumerate(query.words):
            lowered = word.lower()
            where.add(words.condition(f"{{w{i}:String}}", lowered), **{f"w{i}": lowered})
    elif query.text:
        compiler = _Compiler(where, now, words)
        where.parts.append(compiler.sql(query.expr))


# The facet scans kept (a count and the facet counts of one search share one)
SCANS_KEPT = 8
# A page of at most this many events is read by its keys (a parameter of ~20 KB at most)
KEYS_MAX = 1000
# The newest shares of the time span a page's first match is looked for in, in turn.
FLOOR_STEPS = (1 / 64, 1 / 8, 1.0)


def _tuple(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _party_key(facet: str, parts: Any) -> Any:
    """The key :mod:`audit_tui.facets` takes for an identity's columns: the text of an event
    type; a party's (id, name, email, type), None for no identity at all."""
    if facet == "event_types":
        return parts
    parts = tuple(parts) + ("",) * (4 - len(parts))
    return parts if any(parts) else None


def _row(r: dict[str, Any]) -> Row:
    metadata = orjson.loads(r["metadata"]) if r["metadata"] else None
    return Row(
        audited_at=int(r["time_ms"]),
        event_type=r["event_type"],
        resource_type=r["resource_type"],
        resource_id=r["resource_id"],
        resource_name=r["resource_name"],
        organization=r["organization_name"] or r["organization_id"],
        workspace=r["workspace_name"] or r["workspace_id"],
        workspace_id=r["workspace_id"],
        actor_type=r["actor_type"],
        actor_id=r["actor_id"],
        actor_name=r["actor_name"],
        actor_email=r["actor_email"],
        id=r["id"],
        metadata=metadata,
        actor_as=_impersonated(r["raw"]),
    )


def _impersonated(raw: str) -> str:
    """Whom a Kubernetes event's actor impersonated (read from the original record: the
    table keeps no column for it)."""
    if "impersonatedUser" not in raw:
        return ""
    try:
        rec = orjson.loads(raw)
        user, other = rec.get("user") or {}, rec.get("impersonatedUser") or {}
        if user.get("username") and isinstance(other.get("username"), str):
            return str(other["username"])  # as the Kubernetes mapper says it
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        pass
    return ""


def _event(r: dict[str, Any]) -> Event:
    cursor = Cursor(int(r["time_ms"]), r["id"], int(r["content_hash"]))
    return Event(_row(r), r["raw"].encode("utf-8"), cursor)


class ClickHouseEvents:
    """Audit events in a ClickHouse table, queried where they are."""

    def __init__(self, engine: Engine, table: str) -> None:
        self.engine = engine
        self.table = table
        self._t = table_name(table)
        self.label = f"{engine.label} {table}"
        self._key_cache: dict[str, tuple[int, dict[Any, Any]]] = {}
        self.words = Words(self)
        self._split: bool | None = None  # the table has the search's side tables
        self._scans: dict[tuple[Any, ...], tuple[int, Facets]] = {}  # see _facet_scan
        self._scan_lock = threading.Lock()

    def close(self) -> None:
        self.engine.close()

    def exists(self) -> bool:
        rows = self.engine.rows("EXISTS TABLE {t:Identifier}", {"t": self.table})
        return bool(rows and int(next(iter(rows[0].values()))))

    def conditions(self, query: Query, now: datetime, skip: str | None = None) -> Where:
        """The WHERE clause of ``query`` (without the facet ``skip``): one SQL condition,
        every value passed as a query parameter."""
        where = Where()
        _window(where, query, now)
        for facet in FACETS:
            sql = None if facet == skip else self.selection(where, query, facet)
            if sql is not None:
                where.parts.append(sql)
        _text(where, query, now, self.words)
        return where

    def selection(self, where: Where, query: Query, facet: str) -> str | None:
        """The condition of the query's selection in ``facet`` (its values in ``where``'s
        parameters); None when nothing is selected there. The identities the selected names
        select (by :func:`facets.selection_names`, as ``actor_keys`` holds them) are found
        among the table's identities, and the rows are picked by the one column the facet
        counts group on: a set of numbers, not an array per row."""
        values = query.facet(facet)
        if not values:
            return None
        names = {fold(v) for v in values}
        chosen = [
            group
            for group, parts in self._keys(facet).items()
            if selection_names(facet, _party_key(facet, parts)) & names
        ]
        param = f"sel_{facet}"
        where.params[param] = sorted(chosen)
        kind = "String" if facet == "event_types" else "UInt64"
        return f"{_GROUP[facet]} IN {{{param}:Array({kind})}}"

    def upgrade(self) -> None:
        """Add what a table loaded by an earlier version lacks (metadata only: the engine
        computes the new columns for the rows already there, the side tables start empty);
        ClickHouseError if it cannot. A table whose search text is not split (no side
        tables) is searched in its whole text."""
        columns = {r["name"] for r in self.engine.rows(columns_sql(), {"t": self.table})}
        try:
            for statement in ensure_columns_sql(self.table, columns):
                self.engine.command(statement)
            if not self._has_side_tables():
                for statement in side_tables_sql(self.table):
                    self.engine.command(statement)
        except ClickHouseError as exc:
            raise ClickHouseError(
                f"{self.label} was loaded by an earlier audit-tui and lacks the columns the "
                f"facet counts and the search use; a user who may alter it can add them by "
                f"loading into it again ({exc})"
            ) from None
        self._split = None

    @property
    def split_search(self) -> bool:
        """The table keeps its values split, with the side tables (see :class:`Words`)."""
        if self._split is None:
            self._split = self._has_side_tables()
        return self._split

    def _has_side_tables(self) -> bool:
        sql = (
            "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() "
            "AND name IN ({names:Array(String)})"
        )
        names = [values_table(self.table), holders_table(self.table)]
        return int(self.engine.rows(sql, {"names": names})[0]["n"]) == 2

    @property
    def total(self) -> int:
        return int(self.engine.rows(f"SELECT count() AS n FROM {self._t}")[0]["n"])

    def count(self, query: Query, now: datetime | None = None) -> int:
        """The matches of ``query``. A search reads the text of every event: its facet counts
        are counted in the same scan and kept for :meth:`facets` (one scan, not two)."""
        now = now or utcnow()
        if query.text:
            return self._facet_scan(query, now)[0]
        where = self.conditions(query, now)
        sql = f"SELECT count() AS n FROM {self._t} WHERE {where.sql()}"
        return int(self.engine.rows(sql, where.params)[0]["n"])

    def page(
        self,
        query: Query,
        limit: int,
        after: Cursor | None = None,
        now: datetime | None = None,
    ) -> Page:
        """The newest ``limit`` matches older than ``after`` (newest first)."""
        where = self.conditions(query, now or utcnow())
        if after is not None:
            where.add(
                "time <= fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC') AND "
                "(time, id, content_hash) < (fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), "
                "{after_id:String}, {after_hash:UInt64})",
                after_ms=after.time_ms,
                after_id=after.id,
                after_hash=after.content_hash,
            )
        if limit <= 0:
            return Page([], None)
        keys = self._newest(where, limit, None if after is None else after.time_ms)
        if not keys:
            return Page([], None)
        wanted = {k[:3] for k in keys}
        params: dict[str, Param] = {"k_lo": keys[-1][0], "k_hi": keys[0][0]}
        if len(keys) <= KEYS_MAX:  # the rows by their keys: the conditions are not tested again
            params["k_keys"] = sorted({k[3] for k in keys})
            picked = "cityHash64(id, content_hash) IN {k_keys:Array(UInt64)}"
        else:  # a parameter that long would not fit every server's URL: the conditions again
            params.update(where.params)
            picked = where.sql()
        sql = (
            f"SELECT {_ROW_COLUMNS} FROM {self._t} "
            "WHERE time >= fromUnixTimestamp64Milli({k_lo:Int64}, 'UTC') "
            "AND time <= fromUnixTimestamp64Milli({k_hi:Int64}, 'UTC') "
            f"AND {picked} ORDER BY time DESC, id DESC, content_hash DESC"
        )
        rows = self.engine.rows(sql, params)
        events = [
            _event(r)
            for r in rows
            if (int(r["time_ms"]), r["id"], int(r["content_hash"])) in wanted
        ]
        more = len(keys) == limit
        return Page(events, events[-1].cursor if more and events else None)

    def _newest(
        self, where: Where, limit: int, upper: int | None
    ) -> list[tuple[int, str, int, int]]:
        """The sort keys (time ms, id, content hash; and cityHash64 of id and content hash) of
        the newest ``limit`` matches, newest first: the page then reads its rows by them (a
        few granules, never one of every part, and without testing the conditions again).
        Looked for in the newest 1/64 of the table's time span (below ``upper``), then 1/8,
        then all of it, each a parallel scan: a common match is found in the first; reading
        the sort key in reverse instead stops early too, but costs ten times more per row
        where matches are rare."""
        span = self.time_span()
        if span is None:
            return []
        lo, hi = span
        top = hi if upper is None else min(hi, upper)
        params: dict[str, Param] = {**where.params, "limit": limit}
        for share in FLOOR_STEPS:
            start = top - int((top - lo) * share)
            bounded = share < 1 and start > lo
            since = " AND time >= fromUnixTimestamp64Milli({floor_from:Int64}, 'UTC')"
            params["floor_from"] = start
            sql = (
                "SELECT toUnixTimestamp64Milli(time) AS t, id, content_hash, "
                "cityHash64(id, content_hash) AS k "
                f"FROM {self._t} WHERE {where.sql()}{since if bounded else ''} "
                "ORDER BY time DESC, id DESC, content_hash DESC LIMIT {limit:UInt64} "
                "SETTINGS optimize_read_in_order = 0"
            )
            rows = self.engine.rows(sql, params)
            if len(rows) >= limit or not bounded:
                return [(int(r["t"]), r["id"], int(r["content_hash"]), int(r["k"])) for r in rows]
        return []

    def oldest(self, query: Query, now: datetime | None = None) -> Event | None:
        """The oldest match (None when nothing matches)."""
        where = self.conditions(query, now or utcnow())
        oldest = f"SELECT time AS t FROM {self._t} WHERE {where.sql()} ORDER BY time LIMIT 1"
        sql = (
            f"SELECT {_ROW_COLUMNS} FROM {self._t} WHERE {where.sql()} "
            f"AND time <= (SELECT max(t) FROM ({oldest})) "
            "ORDER BY time, id, content_hash LIMIT 1"
        )
        rows = self.engine.rows(sql, where.params)
        return _event(rows[0]) if rows else None

    def iter_events(
        self, query: Query, now: datetime | None = None, batch: int = 5000
    ) -> Iterator[Event]:
        """Every match, newest first, a page at a time (only a page is held)."""
        now = now or utcnow()
        cursor: Cursor | None = None
        while True:
            page = self.page(query, batch, cursor, now)
            yield from page.events
            if page.next is None:
                return
            cursor = page.next

    def facets(self, query: Query, now: datetime | None = None) -> Facets:
        """For each facet, the count each value would give with all *other* conditions: one
        scan, grouped three ways (``GROUPING SETS``), each facet's count under the selections
        of the other two (``countIf``); the query's own count comes with it."""
        return self._facet_scan(query, now or utcnow())[1]

    def forget(self) -> None:
        """Drop the answers kept (the facet scans): the next questions go to the engine."""
        with self._scan_lock:
            self._scans.clear()

    def _facet_scan(self, query: Query, now: datetime) -> tuple[int, Facets]:
        """(the count, the facet counts) of ``query`` in one scan; the last few are kept
        (by their SQL and parameters, and the table's size), so a count and the facet counts
        of one search read its text once."""
        where = Where()
        _window(where, query, now)
        _text(where, query, now, self.words)
        selections = {f: self.selection(where, query, f) for f in FACETS}
        key = (where.sql(), repr(sorted(where.params.items())), repr(selections), self.total)
        with self._scan_lock:
            hit = self._scans.get(key)
        if hit is not None:
            return hit
        counted = []
        for facet in FACETS:
            others = [sql for f, sql in selections.items() if f != facet and sql is not None]
            counted.append(f"countIf({' AND '.join(others) or '1'}) AS n_{facet}")
        every = [sql for sql in selections.values() if sql is not None]
        counted.append(f"countIf({' AND '.join(every) or '1'}) AS n_all")
        groups = ", ".join(f"GROUPING({_GROUP[f]}) AS g_{f}" for f in FACETS)
        sql = (
            f"SELECT {', '.join(_GROUP[f] for f in FACETS)}, {groups}, {', '.join(counted)} "
            f"FROM {self._t} WHERE {where.sql()} "
            f"GROUP BY GROUPING SETS ({', '.join(f'({_GROUP[f]})' for f in FACETS)})"
        )
        # per facet: the count of each identity (an actor's hash, a workspace's, a type)
        by_identity: dict[str, dict[Any, int]] = {f: {} for f in FACETS}
        total = 0
        for r in self.engine.rows(sql, where.params):
            for facet in FACETS:
                if int(r[f"g_{facet}"]) == 0:  # grouped by this facet's column
                    by_identity[facet][r[_GROUP[facet]]] = int(r[f"n_{facet}"])
            if int(r["g_event_types"]) == 0:  # every match is in one event type's group
                total += int(r["n_all"])
        out = {f: self._entries(f, by_identity[f], query) for f in FACETS}
        found = (total, Facets(out["actors"], out["event_types"], out["workspaces"]))
        with self._scan_lock:
            self._scans[key] = found
            while len(self._scans) > SCANS_KEPT:
                self._scans.pop(next(iter(self._scans)))
        return found

    def _entries(self, facet: str, counts: dict[Any, int], query: Query) -> list[FacetValue]:
        """A facet's entries as the local store makes them: one per value a user can select,
        counting every event that value selects."""
        identities = self._keys(facet)
        by_name: Counter[str] = Counter()
        for group, n in counts.items():
            parts = identities.get(group)
            if parts is not None and n:
                for name in selection_names(facet, _party_key(facet, parts)):
                    by_name[name] += n
        entries: dict[str, FacetValue] = {}
        for parts in identities.values():
            value, label, kind = describe(facet, _party_key(facet, parts))
            norm = fold(value)
            if norm not in entries:
                entries[norm] = FacetValue(value, label, by_name.get(norm, 0), kind)
        selected = {fold(v) for v in query.facet(facet)}
        values = [f for norm, f in entries.items() if f.count > 0 or norm in selected]
        values.sort(key=lambda f: (-f.count, f.label.lower()))
        return values

    def _keys(self, facet: str) -> dict[Any, Any]:
        """Every distinct identity of a facet in the table, by what the facet query groups
        on (cached while the table's row count stays the same: a count is read from the
        parts' metadata)."""
        total = self.total
        cached = self._key_cache.get(facet)
        if cached is not None and cached[0] == total:
            return cached[1]
        columns = _KEY_COLUMNS[facet]
        group = _GROUP[facet]
        if facet == "event_types":
            sql = f"SELECT DISTINCT event_type FROM {self._t}"
            keys: dict[Any, Any] = {r["event_type"]: r["event_type"] for r in self.engine.rows(sql)}
        else:
            picked = ", ".join(f"any({c}) AS {c}" for c in columns)
            sql = f"SELECT {group}, {picked} FROM {self._t} GROUP BY {group}"
            keys = {int(r[group]): tuple(r[c] for c in columns) for r in self.engine.rows(sql)}
        keys = dict(sorted(keys.items(), key=lambda kv: tuple(map(str, _tuple(kv[1])))))
        self._key_cache[facet] = (total, keys)
        return keys

    def count_by(
        self, query: Query, field: str, now: datetime | None = None
    ) -> list[tuple[str, int]]:
        """``--count-by``, grouped by the engine: the same rows as the local store's."""
        where = self.conditions(query, now or utcnow())
        if field in countby.TIME_FIELDS:
            where.params["size"] = countby.TIME_FIELDS[field]
            sql = (
                "SELECT intDiv(toUnixTimestamp64Milli(time), {size:Int64}) AS b, count() AS n "
                f"FROM {self._t} WHERE {where.sql()} GROUP BY b"
            )
            rows = self.engine.rows(sql, where.params)
            return countby.bucket_rows({int(r["b"]): int(r["n"]) for r in rows}, field)
        columns = {
            "event_type": ("event_type",),
            "actor": ("actor_id", "actor_name", "actor_email", "actor_type"),
            "workspace": ("workspace_id", "workspace_name"),
            "organization": ("organization_id", "organization_name"),
            "resource_type": ("resource_type",),
        }[field]
        cols = ", ".join(columns)
        sql = f"SELECT {cols}, count() AS n FROM {self._t} WHERE {where.sql()} GROUP BY {cols}"
        out: Counter[str] = Counter()
        for r in self.engine.rows(sql, where.params):
            parts = [str(r[c] or "") for c in columns]
            if field == "event_type":
                value = parts[0]
            elif field == "actor":
                value = countby.party_value("actor", Party(*parts))
            elif field == "workspace":
                value = countby.party_value("workspace", Party(parts[0], parts[1], "", ""))
            elif field == "organization":
                value = parts[1] or parts[0] or countby.NONE
            else:
                value = parts[0] or countby.NONE
            out[value] += int(r["n"])
        return countby.ranked(out)

    def time_span(self) -> tuple[int, int] | None:
        """(oldest, newest) epoch ms of the table's events; None when it has none (read from
        the parts' min/max index of the partition key, not the rows)."""
        sql = (
            "SELECT count() AS n, toUnixTimestamp64Milli(min(time)) AS lo, "
            f"toUnixTimestamp64Milli(max(time)) AS hi FROM {self._t}"
        )
        row = self.engine.rows(sql)[0]
        return (int(row["lo"]), int(row["hi"])) if int(row["n"]) else None

    def histogram(
        self, query: Query, start: int, step: int, buckets: int, now: datetime | None = None
    ) -> np.ndarray:
        """Matches of ``query`` per time bucket, as :meth:`Store.histogram`: ``buckets``
        counts, bucket ``i`` holding ``[start + i*step, start + (i+1)*step)`` ms (one
        ``GROUP BY`` on the engine; the browser's timeline)."""
        where = self.conditions(query, now or utcnow())
        where.add(
            "time >= fromUnixTimestamp64Milli({h_start:Int64}, 'UTC') AND "
            "time < fromUnixTimestamp64Milli({h_end:Int64}, 'UTC')",
            h_start=start,
            h_end=start + step * buckets,
        )
        where.params["h_step"] = max(1, step)
        sql = (
            "SELECT intDiv(toUnixTimestamp64Milli(time) - {h_start:Int64}, {h_step:Int64}) AS b, "
            f"count() AS n FROM {self._t} WHERE {where.sql()} GROUP BY b"
        )
        counts = np.zeros(buckets, dtype=np.int64)
        for r in self.engine.rows(sql, where.params):
            counts[int(r["b"])] = int(r["n"])
        return counts

    def timeline(
        self, query: Query, bucket_ms: int, now: datetime | None = None
    ) -> list[tuple[int, int]]:
        """(bucket start in epoch ms, events) for every bucket with events, oldest first."""
        where = self.conditions(query, now or utcnow())
        where.params["bucket"] = bucket_ms
        sql = (
            "SELECT toUnixTimestamp64Milli(time) - positiveModulo(toUnixTimestamp64Milli(time), "
            "{bucket:Int64}) "
            f"AS start, count() AS n FROM {self._t} WHERE {where.sql()} "
            "GROUP BY start ORDER BY start"
        )
        return [(int(r["start"]), int(r["n"])) for r in self.engine.rows(sql, where.params)]
