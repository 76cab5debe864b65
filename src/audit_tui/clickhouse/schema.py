"""The audit table in ClickHouse (documented in docs/clickhouse.md).

One row per event: the time and id, the event type, the actor, resource, organization and
workspace parts as ``LowCardinality`` columns, the folded names that select the actor and the
workspace (the facet identity rules of :mod:`audit_tui.facets`, computed once when loading), the
values-only lower-cased search text, the original record unchanged, and a hash of it; the hashes
of the actor's and the workspace's identity the facet counts group on. Sorted by time (then id
and hash), partitioned by month, with an n-gram skip index on the search text.
Re-loading is idempotent: an event already in the table (same id, same content hash) is not
inserted again, and the ReplacingMergeTree key folds any duplicate that slips in.
"""

from __future__ import annotations

from audit_tui.clickhouse.engine import table_name

# (name, type) of the columns a loader writes; content_hash is computed by the engine.
LOADED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("time_ms", "Int64"),
    ("id", "String"),
    ("event_type", "String"),
    ("event_type_key", "String"),
    ("actor_id", "String"),
    ("actor_name", "String"),
    ("actor_email", "String"),
    ("actor_type", "String"),
    ("actor_keys", "Array(String)"),
    ("resource_type", "String"),
    ("resource_id", "String"),
    ("resource_name", "String"),
    ("organization_id", "String"),
    ("organization_name", "String"),
    ("workspace_id", "String"),
    ("workspace_name", "String"),
    ("workspace_keys", "Array(String)"),
    ("metadata", "String"),
    ("search", "String"),
    ("search_text", "String"),
    ("search_hex", "String"),
    ("raw", "String"),
)
# The characters of ids, times, hashes and addresses: a value made of these only is kept apart
# (``search_hex``), so a word with any other character is not looked for in it.
HEX_LIKE = frozenset("0123456789abcdef-:.tz+")
# travels with a batch, kept in the side tables (not a column of the audit table)
SHARED_COLUMN = ("search_shared", "Array(String)")

# The identity of an event's actor and workspace as one number, made by the table itself: the
# facet counts group on it (one UInt64 column) instead of on the identity's columns.
HASH_COLUMN_LIST = (
    "actor_hash UInt64 MATERIALIZED cityHash64(actor_id, actor_name, actor_email, actor_type)",
    "workspace_hash UInt64 MATERIALIZED cityHash64(workspace_id, workspace_name)",
)
HASH_COLUMNS = ",\n    ".join(HASH_COLUMN_LIST)

COLUMNS_DDL = f"""
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD),
    id String,
    event_type LowCardinality(String),
    event_type_key LowCardinality(String),
    actor_id LowCardinality(String),
    actor_name LowCardinality(String),
    actor_email LowCardinality(String),
    actor_type LowCardinality(String),
    actor_keys Array(LowCardinality(String)),
    resource_type LowCardinality(String),
    resource_id String,
    resource_name String,
    organization_id LowCardinality(String),
    organization_name LowCardinality(String),
    workspace_id LowCardinality(String),
    workspace_name LowCardinality(String),
    workspace_keys Array(LowCardinality(String)),
    metadata String CODEC(ZSTD),
    search String CODEC(LZ4),
    search_text String CODEC(LZ4),
    search_hex String CODEC(LZ4),
    raw String CODEC(ZSTD),
    content_hash UInt64,
    {HASH_COLUMNS},
    INDEX search_ngrams search TYPE ngrambf_v1(4, 65536, 3, 0) GRANULARITY 1"""

SORT_KEY = "(time, id, content_hash)"


# The search values split as this version keeps them (see docs/clickhouse.md): a table loaded
# by an earlier version gets them on open, computed on read for the rows already there (all
# their values in ``search_text``: the same answers, at the old speed for those rows).
SEARCH_COLUMN_LIST = (
    "search_text String DEFAULT search CODEC(LZ4)",
    "search_hex String DEFAULT '' CODEC(LZ4)",
)


def values_table(table: str) -> str:
    """The side table of the values that repeat: each once."""
    return f"{table}_values"


def holders_table(table: str) -> str:
    """The side table of which events (by content hash) hold each value that repeats."""
    return f"{table}_holders"


def side_tables_sql(table: str) -> list[str]:
    """The two side tables of the search on one server (or chDB)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {table_name(values_table(table))} (value String)\n"
        "ENGINE = ReplacingMergeTree\nORDER BY value",
        f"CREATE TABLE IF NOT EXISTS {table_name(holders_table(table))} "
        "(value LowCardinality(String), content_hash UInt64)\n"
        "ENGINE = ReplacingMergeTree\nORDER BY (value, content_hash)",
    ]


def ensure_columns_sql(table: str, columns: set[str]) -> list[str]:
    """What a table loaded by an earlier version lacks, given the ``columns`` it has: the
    identity hashes (computed on read for the parts written before, stored by the parts
    written after), and the search values split (from its search text)."""
    t = table_name(table)
    wanted = [c for c in (*HASH_COLUMN_LIST, *SEARCH_COLUMN_LIST) if c.split()[0] not in columns]
    return [f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c}" for c in wanted]


def columns_sql() -> str:
    """The names of a table's columns (parameter ``t``: the table)."""
    return (
        "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String}"
    )


def create_table_sql(table: str) -> str:
    """The DDL of the audit table on one server (or chDB)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {table_name(table)} ({COLUMNS_DDL}\n)\n"
        "ENGINE = ReplacingMergeTree\n"
        "PARTITION BY toYYYYMM(time)\n"
        f"ORDER BY {SORT_KEY}"
    )


def cluster_sql(table: str, cluster: str = "audit_cluster", database: str = "audit") -> list[str]:
    """The DDL for a sharded cluster: a ReplicatedMergeTree table on every shard, and a
    Distributed table over them (sharded by id, so an event's copies meet on one shard); the
    same for the search's side tables (sharded by value, so a value's copies meet on one shard;
    queries read them through ``GLOBAL IN``, so any sharding gives the same answers)."""
    local = table_name(f"{table}_local")
    dist = table_name(table)
    statements = [
        f"CREATE TABLE IF NOT EXISTS {database}.{local} ON CLUSTER {cluster} ({COLUMNS_DDL}\n)\n"
        "ENGINE = ReplicatedReplacingMergeTree("
        f"'/clickhouse/tables/{{shard}}/{database}/{table}_local', '{{replica}}')\n"
        "PARTITION BY toYYYYMM(time)\n"
        f"ORDER BY {SORT_KEY}",
        f"CREATE TABLE IF NOT EXISTS {database}.{dist} ON CLUSTER {cluster} "
        f"AS {database}.{local}\n"
        f"ENGINE = Distributed({cluster}, {database}, {table}_local, cityHash64(id))",
    ]
    sides = (
        (values_table(table), "value String", "value"),
        (
            holders_table(table),
            "value LowCardinality(String), content_hash UInt64",
            "(value, content_hash)",
        ),
    )
    for name, columns, key in sides:
        statements += [
            f"CREATE TABLE IF NOT EXISTS {database}.{table_name(name + '_local')} "
            f"ON CLUSTER {cluster} ({columns})\n"
            "ENGINE = ReplicatedReplacingMergeTree("
            f"'/clickhouse/tables/{{shard}}/{database}/{name}_local', '{{replica}}')\n"
            f"ORDER BY {key}",
            f"CREATE TABLE IF NOT EXISTS {database}.{table_name(name)} ON CLUSTER {cluster} "
            f"AS {database}.{table_name(name + '_local')}\n"
            f"ENGINE = Distributed({cluster}, {database}, {name}_local, cityHash64(value))",
        ]
    return statements
