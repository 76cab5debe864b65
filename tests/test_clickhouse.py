"""ClickHouse as a source, on the real engine (chDB, in this process): the same files loaded
into chDB and into the local store give the same counts, facet counts, pages and timeline;
loading twice adds nothing; invalid records are reported with their line numbers; hostile
values travel as parameters and come back unchanged."""

from __future__ import annotations

import random
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from audit_tui import searchlang
from audit_tui.clickhouse.engine import ChdbEngine, ClickHouseError, encode_param, table_name
from audit_tui.clickhouse.events import ClickHouseEvents
from audit_tui.clickhouse.load import count_rows, load_store
from audit_tui.commands.main import main
from audit_tui.facets import fold
from audit_tui.query import Query, QueryError
from audit_tui.serve import AuditAPI, create_app, serve_in_thread
from audit_tui.sources.file import open_source
from audit_tui.store import Facets

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "data" / "formats"
HOSTILE = [
    "'); DROP TABLE audit_events; --",
    "back\\slash \\' \\n",
    "quote \" and 'single'",
    "ctrl \x1b]52;c;aGk=\x07 \x00 \t tab",
    "{rows:String} {w0:String}",
    "[/] [@click=app.quit] ]",
    "Ünïcödé ẞ İstanbul",
]


def _events(n: int = 3000, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    actors = [
        {"type": "user", "id": "usr_1", "name": "Ada Lovelace", "email": "ada@example.com"},
        {"type": "user", "id": "usr_2", "name": "Bob", "email": None},
        {"type": "api_key", "id": "key_9", "name": "invoice-bot"},
        {"type": "user", "name": "Only Name"},
        {"type": "user", "email": "mail@only.example"},
        "bare-actor-name",
        {"type": "user", "id": "usr_3", "name": "ada@example.com"},  # a name another's email
        None,
        *({"type": "user", "id": f"usr_h{i}", "name": h} for i, h in enumerate(HOSTILE)),
    ]
    workspaces = [
        {"id": "ws_1", "name": "Finance Ops"},
        {"id": "ws_2", "name": "finance ops"},
        {"id": "ws_3"},
        "Bare Workspace",
        None,
    ]
    types = ["Agent Deleted", "Agent Invoked", "API Key Revoked", "Login", HOSTILE[0]]
    base = int(NOW.timestamp() * 1000)
    out = []
    for i in range(n):
        ms = base - rng.randrange(0, 120 * 86_400_000)
        if i % 97 == 0 and out:
            ms = out[-1]["_ms"]  # a tie in time, broken by id
        when: Any = datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")
        if i % 11 == 0:
            when = ms  # an epoch number
        ev = {
            "id": f"evt_{i:06d}",
            "audited_at": when,
            "event_type": rng.choice(types),
            "actor": rng.choice(actors),
            "resource": {"type": "agent", "id": f"agt_{i % 50}", "name": rng.choice(HOSTILE)},
            "organization": {"id": "org_1", "name": "Initech"},
            "workspace": rng.choice(workspaces),
            "metadata": {"ip": f"10.0.{i % 7}.{i % 251}", "n": i % 13, "ok": i % 2 == 0},
            "_ms": ms,
        }
        if i % 3 == 0:  # lists on a path, lists in lists, keys that look like values
            ev["metadata"]["tags"] = [
                {"name": rng.choice(["alpha", "Beta", "gamma ray", "n:1"]), "n": i % 5},
                {"name": rng.choice(["delta", "ALPHA"]), "deep": [[{"k": f"v{i % 4}"}]]},
            ]
            ev["metadata"]["alpha"] = rng.choice(["x", "omega", None])
        out.append(ev)
    for ev in out:
        del ev["_ms"]
    return out


@pytest.fixture(scope="module")
def events_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ch") / "events.jsonl"
    lines = [orjson.dumps(ev) for ev in _events()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database directory for the module: chDB opens one path per process at a time, so
    each test keeps its events in a table of its own."""
    return tmp_path_factory.mktemp("db") / "audit.db"


@pytest.fixture(scope="module")
def both(events_file: Path, db: Path) -> Any:
    store = open_source(str(events_file))
    store.wait()
    engine = ChdbEngine(str(db))
    report = load_store(store, engine, "audit_events", batch=700)
    assert report.inserted == store.total == 3000
    yield store, ClickHouseEvents(engine, "audit_events")
    store.close()
    engine.close()


def _facet_map(f: Facets, name: str) -> dict[str, int]:
    return {fold(v.value): v.count for v in f.get(name)}


QUERIES = [
    Query(),
    Query(text="invoice"),
    Query(text="INVOICE bot"),
    Query(text="10.0.3"),
    Query(text="finance ops"),
    Query(text="true"),
    Query(text="it's \\ {w0:String}"),  # quote, backslash, a parameter's look-alike
    Query(text="drop table"),
    Query(text="ünïcödé"),
    Query(text="nothing-matches-this"),
    Query(period="7d"),
    Query(period="30d", text="agent"),
    Query(since="2026-10-01", until="2026-11-01"),
    Query(since="2026-11-19T10:00:00Z"),
    Query(actors=frozenset({"ada@example.com"})),
    Query(actors=frozenset({"USR_1", "bob"})),
    Query(actors=frozenset({"Only Name", "mail@only.example", "bare-actor-name"})),
    Query(actors=frozenset({""})),
    Query(actors=frozenset({HOSTILE[0]})),
    Query(workspaces=frozenset({"finance ops"})),
    Query(workspaces=frozenset({"ws_3", "Bare Workspace"})),
    Query(workspaces=frozenset({""})),
    Query(event_types=frozenset({"agent invoked", HOSTILE[0]})),
    Query(
        text="agt",
        period="90d",
        actors=frozenset({"invoice-bot", "ada@example.com"}),
        event_types=frozenset({"Agent Deleted", "Login"}),
        workspaces=frozenset({"Finance Ops"}),
    ),
    # the search language, pushed down as one SQL condition
    Query(text='"finance ops"'),
    Query(text="type:deleted OR type:revoked"),
    Query(text="type:deleted OR type:revoked workspace:finance -actor:bob"),
    Query(text="-(actor:ada OR actor:bot) org:initech"),
    Query(text='actor:"ada@example.com" -workspace:ws_2'),
    Query(text="resource:agt_1 id:evt_0001"),
    Query(text="metadata.ip:10.0.3 -metadata.ip:.25"),
    Query(text="since:2026-11-01 until:2026-11-15 type:login"),
    Query(text="since:7d invoice"),
    Query(text=f"actor:{searchlang.quote(HOSTILE[0])} OR {searchlang.quote(HOSTILE[1])}"),
    Query(text="-agent -login"),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.summary() or "everything")
def test_same_answers_as_the_store(both: Any, query: Query) -> None:
    store, ch = both
    result = store.search(query, NOW)
    assert ch.count(query, NOW) == result.count
    want, got = store.facets(query, NOW), ch.facets(query, NOW)
    for name in ("actors", "event_types", "workspaces"):
        assert _facet_map(got, name) == _facet_map(want, name), name
    first = ch.page(query, 25, None, NOW)
    ids = [r.id for r in store.rows(result.positions[:50])]
    assert [e.row.id for e in first.events] == ids[:25]
    assert [e.row for e in first.events] == store.rows(result.positions[:25])
    assert [e.raw for e in first.events] == [store.raw(int(p)) for p in result.positions[:25]]
    if first.next is not None:
        second = ch.page(query, 25, first.next, NOW)
        assert [e.row.id for e in second.events] == ids[25:50]
    else:
        assert result.count <= 25
    day = 86_400_000
    times = np.array([store.row(int(p)).audited_at for p in result.positions], np.int64)
    starts, counts = np.unique(times - times % day, return_counts=True)
    assert ch.timeline(query, day, NOW) == list(zip(starts.tolist(), counts.tolist(), strict=True))


# The terms a generated query is made of: words, phrases, fields, paths (through lists, onto
# subtrees, onto keys that must not match), times; hostile text among them.
TERMS = [
    "invoice",
    "agt_1",
    "10.0.3",
    "ops",
    "ada",
    "true",
    "null",
    '"finance ops"',
    '"agent deleted"',
    '"gamma ray"',
    searchlang.quote(HOSTILE[0]),
    searchlang.quote(HOSTILE[1]),
    "ünïcödé",
    "type:deleted",
    "type:login",
    "actor:ada",
    "actor:bot",
    "actor:usr_",
    "resource:agt_4",
    "workspace:ws_2",
    "workspace:finance",
    "org:initech",
    "id:evt_0001",
    "metadata.ip:10.0.1",
    "metadata.n:7",
    "metadata.ok:true",
    "metadata.tags.name:alpha",
    'metadata.tags.name:"gamma ray"',
    "metadata.tags.name:n:1",
    "metadata.tags.n:3",
    "metadata.tags.deep.k:v2",
    "metadata.tags:delta",
    "metadata.tags:name",
    "metadata.alpha:null",
    "metadata:omega",
    "metadata:alpha",
    "actor.name:ada",
    "resource.name:drop",
    "workspace.name:finance",
    "metadata.missing:x",
    "since:2026-11-01",
    "until:2026-10-15",
    "since:30d",
]


def _generated(n: int, seed: int = 14) -> list[str]:
    """Random queries over TERMS: AND of groups, OR within them, negation, parentheses."""
    rng = random.Random(seed)

    def unary(depth: int) -> str:
        roll = rng.random()
        if roll < 0.2 and depth < 2:
            inner = " ".join(group(depth + 1) for _ in range(rng.randint(1, 2)))
            text = f"({inner})"
        else:
            text = rng.choice(TERMS)
        return ("-" if rng.random() < 0.25 else "") + text

    def group(depth: int) -> str:
        return " OR ".join(unary(depth) for _ in range(rng.choices([1, 2, 3], [5, 3, 1])[0]))

    return [" ".join(group(0) for _ in range(rng.randint(1, 3))) for _ in range(n)]


def test_generated_queries_give_the_store_counts(both: Any) -> None:
    """Every form of the search language (phrases, negation, OR, parentheses, field and path
    terms: through lists, onto subtrees, keys never matching; times) pushed down gives the
    local store's count, for 150 generated queries, each term on its own too."""
    store, ch = both
    texts = TERMS + [f"-{t}" for t in TERMS] + _generated(150)
    wrong = []
    for text in texts:
        query = Query(text=text)
        want, got = store.count(query, NOW), ch.count(query, NOW)
        if want != got:
            wrong.append((text, want, got))
    assert not wrong
    # the terms are not trivial: each matches some events and misses others (but those that
    # must match nothing: a path that is nowhere, keys that are no values; or everything)
    none = {"metadata.missing:x", "metadata.tags:name"}
    for term in TERMS:
        n = store.count(Query(text=term), NOW)
        assert n == 0 if term in none else 0 < n < 3000 or term == "org:initech", (term, n)


@pytest.mark.parametrize(("share", "probe"), [(0.0, 32_768), (0.05, 0)])
def test_words_in_many_events_read_the_whole_text_with_the_same_counts(
    both: Any, share: float, probe: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word held by many events is looked for in the whole text instead of through the side
    tables (every word with share 0, the commoner ones with 0.05), and a word the n-gram index
    leaves in many granules is not counted first (probe 0: the engine refuses at once): the
    same counts."""
    from audit_tui.clickhouse import events as events_module

    store, ch = both
    monkeypatch.setattr(events_module, "HEAVY_MIN", 0)
    monkeypatch.setattr(events_module, "HEAVY_SHARE", share)
    monkeypatch.setattr(events_module, "PROBE_MIN", probe)
    fresh = ClickHouseEvents(ch.engine, "audit_events")  # its own memory of the words
    nothing = ["zzzz-nothing", '"no such phrase"', "ada OR zzzz-nothing", "-zzzz-nothing"]
    for text in [*TERMS, *nothing, *_generated(60, seed=15)]:
        query = Query(text=text)
        assert fresh.count(query, NOW) == store.count(query, NOW), text
    heavy = [w for w, (_, yes) in fresh.words._heavy.items() if yes]
    nowhere = [w for w, (_, yes) in fresh.words._nowhere.items() if yes]
    assert heavy and nowhere
    assert len(heavy) < len(fresh.words._heavy) or share == 0.0


def test_a_search_count_and_its_facet_counts_are_one_scan(both: Any) -> None:
    """A search's count and its facet counts come from one scan of its text (whichever is
    asked first), and are the store's."""
    store, ch = both
    asked: list[str] = []

    class Recording:
        label = ch.engine.label

        def rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
            asked.append(sql)
            return ch.engine.rows(sql, params)

    fresh = ClickHouseEvents(Recording(), "audit_events")  # type: ignore[arg-type]
    for query in (Query(text="invoice"), Query(text="ada -type:login", actors=frozenset({"bob"}))):
        asked.clear()
        assert fresh.count(query, NOW) == store.count(query, NOW)
        for name in ("actors", "event_types", "workspaces"):
            assert _facet_map(fresh.facets(query, NOW), name) == _facet_map(
                store.facets(query, NOW), name
            )
        assert fresh.count(query, NOW) == store.count(query, NOW)
        scans = [
            sql
            for sql in asked
            if "FROM `audit_events` WHERE" in sql and "max_rows_to_read" not in sql  # a probe
        ]
        assert len(scans) == 1 and "GROUPING SETS" in scans[0], scans


def test_reloading_adds_nothing(both: Any) -> None:
    store, ch = both
    report = load_store(store, ch.engine, "audit_events")
    assert report.inserted == 0
    assert count_rows(ch.engine, "audit_events") == 3000
    assert ch.total == 3000


def test_every_page_walks_all_matches_once(both: Any) -> None:
    store, ch = both
    query = Query(text="agt_1")
    seen = [e.row.id for e in ch.iter_events(query, NOW, batch=37)]
    assert seen == [r.id for r in store.rows(store.search(query, NOW).positions)]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_parameters(both: Any, value: str) -> None:
    store, ch = both
    assert ch.engine.rows("SELECT {v:String} AS v", {"v": value}) == [{"v": value}]
    assert ch.engine.rows("SELECT {v:Array(String)} AS v", {"v": [value, "x"]}) == [
        {"v": [value, "x"]}
    ]
    queries = [Query(actors=frozenset({value}))]
    try:  # as search text too, where the search language reads it as plain words
        text = Query(text=value)
    except QueryError:
        text = None
    if text is not None and text.plain:
        queries.append(text)
    for query in queries:
        assert ch.count(query, NOW) == store.count(query, NOW)
    assert ch.exists() and ch.total == 3000  # nothing was dropped


def test_parameter_encoding() -> None:
    assert encode_param("a\\b\nc\td") == "a\\\\b\\nc\\td"
    assert encode_param(["it's", "x"]) == "['it\\'s','x']"
    assert encode_param([1, 20]) == "[1,20]"
    assert encode_param(7) == "7"
    assert table_name("audit_events") == "`audit_events`"
    with pytest.raises(ClickHouseError):
        table_name("x`; DROP TABLE y")


@pytest.mark.parametrize(
    "path",
    [
        "cloudtrail/plaso__aws_cloudtrail_lookupevents.jsonl",
        "k8s-audit/panther-analysis__kubernetes_eks_rules.jsonl",
        "k8s-audit/audit2rbac__demo.log",  # impersonation in some events
        "okta/demisto__Okta_v2__get_logs_response.json",
        "gcp-audit/plaso__gcp_logging.jsonl",
        "azure/panther-analysis__azure_activity_rules.jsonl",
    ],
)
def test_foreign_formats_load_as_the_store_reads_them(both: Any, db: Path, path: str) -> None:
    store = open_source(str(DATA / path))
    store.wait()
    engine = ChdbEngine(str(db))
    table = "f_" + "".join(c if c.isalnum() else "_" for c in path.split(".")[0])
    try:
        load_store(store, engine, table)
        ch = ClickHouseEvents(engine, table)
        assert ch.count(Query(), NOW) == store.total
        everything = store.search(Query(), NOW).positions
        page = ch.page(Query(), 1000, None, NOW)
        assert sorted(map(repr, (e.row for e in page.events))) == sorted(
            map(repr, store.rows(everything))
        )
        for name in ("actors", "event_types", "workspaces"):
            want = _facet_map(store.facets(Query(), NOW), name)
            assert _facet_map(ch.facets(Query(), NOW), name) == want
    finally:
        store.close()
        engine.close()


def test_load_command_reports_invalid_lines_and_is_idempotent(
    both: Any, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "e.jsonl"
    good = [
        {"id": "a", "audited_at": "2026-11-01T10:00:00Z", "event_type": "Login", "actor": "x"},
        {"id": "b", "audited_at": "2026-11-02T10:00:00Z", "event_type": "Login", "actor": "y"},
    ]
    lines = [
        orjson.dumps(good[0]).decode(),
        '{"id": "c", "event_type": "Login"}',
        "not json",
        orjson.dumps(good[1]).decode(),
    ]
    src.write_text("\n".join(lines) + "\n")
    target = f"chdb:{db}"
    assert main(["load", str(src), "--into", target, "--table", "small"]) == 0
    err = capsys.readouterr().err
    assert main(["query", str(src), "--count"]) == 0
    local = capsys.readouterr()
    assert "line 2 no audited_at" in err and "line 3" in err
    skipped = [line for line in err.splitlines() if "skipped" in line]
    assert skipped == [line for line in local.err.splitlines() if "skipped" in line]
    assert "loaded 2 new events" in err
    assert main(["load", str(src), "--into", target, "--table", "small"]) == 0
    assert "loaded 0 new events" in capsys.readouterr().err
    assert main(["query", target, "--table", "small", "--count"]) == 0
    assert capsys.readouterr().out.strip() == "2"


@pytest.mark.parametrize("fmt", ["table", "jsonl", "json", "csv"])
def test_query_command_prints_what_the_file_gives(
    both: Any, db: Path, events_file: Path, capsysbinary: pytest.CaptureFixture[bytes], fmt: str
) -> None:
    target = f"chdb:{db}"
    assert main(["load", str(events_file), "--into", target, "--table", "ev"]) == 0
    filters = ["--since", "2026-10-01", "--actor", "ada@example.com", "--search", "agt"]
    capsysbinary.readouterr()
    assert main(["query", str(events_file), *filters, "--format", fmt, "--limit", "40"]) == 0
    want = capsysbinary.readouterr().out
    args = ["query", target, "--table", "ev", *filters, "--format", fmt, "--limit", "40"]
    assert main(args) == 0
    assert capsysbinary.readouterr().out == want
    assert main(["query", target, "--table", "ev", *filters, "--count"]) == 0
    assert main(["query", str(events_file), *filters, "--count"]) == 0
    out = capsysbinary.readouterr().out.split()
    assert out[0] == out[1] and int(out[0]) > 40


def test_export_command_writes_the_same_file(
    both: Any, db: Path, events_file: Path, tmp_path: Path
) -> None:
    target = f"chdb:{db}"
    filters = ["--workspace", "finance ops", "--period", "all"]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["export", str(events_file), *filters, "-o", str(a)]) == 0
    assert main(["export", target, *filters, "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 1000


def test_missing_table_and_bad_target(
    both: Any, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = f"chdb:{db}"
    assert main(["query", target, "--table", "nope", "--count"]) == 2
    assert "has no table nope" in capsys.readouterr().err
    assert main(["query", target, "--table", "a;b", "--count"]) == 2
    assert "invalid table name" in capsys.readouterr().err
    assert main(["load", "--demo", "--into", "/tmp/x.db"]) == 2
    assert "--into takes chdb:PATH" in capsys.readouterr().err


def test_worker_processes_load_the_same_rows(both: Any, db: Path) -> None:
    store, ch = both
    engine = ChdbEngine(str(db))
    try:
        report = load_store(store, engine, "parallel", batch=400, workers=2)
        assert report.inserted == 3000
        assert load_store(store, engine, "parallel", batch=400, workers=2).inserted == 0
        columns = "id, content_hash, actor_keys, workspace_keys, search, raw"
        sql = "SELECT {c} FROM {t:Identifier} ORDER BY id, content_hash"
        one = engine.rows(sql.replace("{c}", columns), {"t": "parallel"})
        other = engine.rows(sql.replace("{c}", columns), {"t": "audit_events"})
        assert one == other
    finally:
        engine.close()


def test_the_driver_path_end_to_end(
    both: Any,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """clickhouse:// through clickhouse-connect, against an endpoint answering ClickHouse's HTTP
    interface with chDB: the same answers as the store, values sent as parameters."""
    from clickhouse_http import clickhouse_http

    from audit_tui.clickhouse.engine import ConnectEngine, open_engine

    store, _ = both
    monkeypatch.setenv("AUDIT_TUI_CLICKHOUSE_PASSWORD", "s3cret-pw")
    with clickhouse_http(str(db)) as server:
        url = f"clickhouse://default@127.0.0.1:{server.server_address[1]}/default"
        engine = open_engine(url)
        assert isinstance(engine, ConnectEngine)
        try:
            assert load_store(store, engine, "via_http", batch=1000).inserted == 3000
            assert load_store(store, engine, "via_http", batch=1000).inserted == 0
            ch = ClickHouseEvents(engine, "via_http")
            for query in QUERIES[::3] + [Query(actors=frozenset({HOSTILE[0]}), text=HOSTILE[4])]:
                result = store.search(query, NOW)
                assert ch.count(query, NOW) == result.count
                page = ch.page(query, 20, None, NOW)
                assert [e.row for e in page.events] == store.rows(result.positions[:20])
                want = store.facets(query, NOW)
                for name in ("actors", "event_types", "workspaces"):
                    assert _facet_map(ch.facets(query, NOW), name) == _facet_map(want, name)
            assert any("drop table audit_events" in v for p in server.seen for v in p.values())
            with pytest.raises(ClickHouseError, match="UNKNOWN_TABLE|doesn't exist|does not exist"):
                ClickHouseEvents(engine, "nope").count(Query(), NOW)
        finally:
            engine.close()
        assert main(["query", url, "--table", "via_http", "--actor", "bob", "--count"]) == 0
        out, err = capsys.readouterr()
        assert int(out) == store.count(Query(actors=frozenset({"bob"})), NOW)
        assert main(["query", url, "--table", "missing", "--count"]) == 2
        out, err = capsys.readouterr()
        assert "has no table missing" in err and "s3cret-pw" not in out + err
    bad = "clickhouse://u:pw@127.0.0.1/db"
    assert main(["query", bad, "--count"]) == 2
    assert "no password in a clickhouse:// URL" in capsys.readouterr().err


@pytest.mark.parametrize(
    "field", ["actor", "event_type", "workspace", "organization", "resource_type", "hour", "day"]
)
@pytest.mark.parametrize(
    "query", [Query(), Query(text="type:deleted OR invoice"), Query(period="30d")], ids=str
)
def test_count_by_is_pushed_down_with_the_same_rows(both: Any, field: str, query: Query) -> None:
    store, ch = both
    assert ch.count_by(query, field, NOW) == store.count_by(query, field, NOW)


# -- serve --source chdb:, and the browser on a ClickHouse table --------------------------------


def _served_ids(url: str, params: dict[str, str]) -> tuple[list[str], int]:
    ids: list[str] = []
    cursor = None
    total = -1
    with httpx.Client(headers={"authorization": "Bearer t0ken-for-tests"}) as client:
        while True:
            extra = {"cursor": cursor} if cursor else {}
            doc = client.get(url, params={**params, **extra, "limit": "500"}).json()
            ids += [e["id"] for e in doc["data"]]
            total = doc["total"]
            if not doc["has_more"]:
                return ids, total
            cursor = doc["next"]


def test_serve_answers_the_contract_from_the_engine(both: Any) -> None:
    """Every page (keyset-paged underneath), the total and the facet lists over HTTP, from
    chDB, equal what the local store gives for the same query."""
    store, ch = both
    api = AuditAPI(ch, "t0ken-for-tests")
    with serve_in_thread(create_app(api)) as url:
        for q in ("", "type:deleted OR invoice -actor:bob", 'workspace:"finance ops"'):
            query = Query(text=q)
            want = [store.record(int(p))["id"] for p in store.search(query).positions]
            got, total = _served_ids(url, {"q": q} if q else {})
            assert got == want and total == len(want)
        with httpx.Client(headers={"authorization": "Bearer t0ken-for-tests"}) as client:
            doc = client.get(f"{url}/facets", params={"field": "actor", "q": "invoice"}).json()
            got_facets = {fold(d["value"]): d["count"] for d in doc["data"]}
            assert got_facets == _facet_map(store.facets(Query(text="invoice")), "actors")
            assert client.get(url).status_code == 200
        assert httpx.get(url).status_code == 401  # the token is still asked for


def test_the_engine_takes_queries_from_many_threads(both: Any) -> None:
    """serve answers in a thread pool and the browser in workers: one chDB session must not
    break when they ask at once."""
    store, ch = both
    want = store.count(Query(text="invoice"))
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: ch.count(Query(text="invoice"), NOW), range(32)))
    assert counts == [want] * 32


def _sent_passwords(keys: list[str | None]) -> set[str]:
    import base64

    out = set()
    for key in keys:
        if key and key.startswith("Basic "):
            out.add(base64.b64decode(key[6:]).decode().split(":", 1)[1])
        elif key:
            out.add(key)
    return out


def test_the_password_comes_from_a_file_and_is_never_shown(
    both: Any, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from clickhouse_http import clickhouse_http

    monkeypatch.setenv("AUDIT_TUI_CLICKHOUSE_PASSWORD", "from-the-env")
    secret = tmp_path / "pw"
    secret.write_text("from-the-file-9f3\n")
    with clickhouse_http(str(db)) as server:
        url = f"clickhouse://default@127.0.0.1:{server.server_address[1]}/default"
        argv = ["query", url, "--table", "audit_events", "--count"]
        assert main([*argv, "--password-file", str(secret)]) == 0
        assert _sent_passwords(server.keys) == {"from-the-file-9f3"}
        server.keys.clear()
        monkeypatch.setenv("AUDIT_TUI_CLICKHOUSE_PASSWORD_FILE", str(secret))
        assert main(argv) == 0
        assert _sent_passwords(server.keys) == {"from-the-file-9f3"}
        server.keys.clear()
        monkeypatch.delenv("AUDIT_TUI_CLICKHOUSE_PASSWORD_FILE")
        assert main(argv) == 0
        assert _sent_passwords(server.keys) == {"from-the-env"}
        assert main([*argv, "--password-file", str(tmp_path / "missing")]) == 2
    out, err = capsys.readouterr()
    assert "password file" in err and "no such file" in err
    assert "from-the-file" not in out + err and "from-the-env" not in out + err


def test_a_view_reads_like_its_positions_without_holding_them(both: Any) -> None:
    """``query``, ``export`` and ``serve`` read a table's matches by position; the positions
    are a range, not an array (10 million would be 80 MB), and read like one."""
    from audit_tui.clickhouse.view import PagedView, Positions

    store, ch = both
    query = Query(text="agent")
    view = PagedView(ch, query, NOW, page=64)
    positions = view.search(query, NOW).positions
    assert isinstance(positions, Positions)
    want = np.arange(store.search(query, NOW).count, dtype=np.int64)
    assert len(positions) == len(want) > 200
    for cut in (slice(0, 10), slice(5, 500, 7), slice(-3, None), slice(len(want) + 5, None)):
        assert positions[cut].tolist() == want[cut].tolist()
    assert positions[-1] == len(want) - 1 and positions[0] == 0
    with pytest.raises(IndexError):
        positions[len(want)]
    ids = [view.row(int(p)).id for p in positions[100:140]]
    assert ids == [r.id for r in store.rows(store.search(query, NOW).positions[100:140])]


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profiles: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(profiles)
    monkeypatch.setenv("AUDIT_TUI_CONFIG", str(path))


def test_the_password_comes_from_a_profile_and_is_never_shown(
    both: Any, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """A profile names the server and where its password is: a file, a command (its
    arguments, no shell) or a variable. --password-file wins over it, it wins over the
    environment; the password is never printed, not even when the command fails."""
    from clickhouse_http import clickhouse_http

    store, _ = both
    monkeypatch.setenv("AUDIT_TUI_CLICKHOUSE_PASSWORD", "from-the-env-77")
    secret = tmp_path / "pw"
    secret.write_text("from-a-file-31\n")
    command = [sys.executable, "-c", "print('from-a-command-52'); print('second line')"]
    failing = [sys.executable, "-c", "import sys; print('leaked-pw-19'); sys.exit(3)"]
    with clickhouse_http(str(db)) as server:
        url = f"clickhouse://default@127.0.0.1:{server.server_address[1]}/default"
        _config(
            tmp_path,
            monkeypatch,
            f'[profiles.wh_cmd]\nurl = "{url}"\npassword_command = {orjson.dumps(command).decode()}\n'
            f'[profiles.wh_file]\nurl = "{url}"\npassword_file = "{secret}"\n'
            f'[profiles.wh_env]\nurl = "{url}"\npassword_env = "WH_PASSWORD"\n'
            f'[profiles.wh_bad]\nurl = "{url}"\npassword_command = {orjson.dumps(failing).decode()}\n'
            '[profiles.api]\nurl = "http://127.0.0.1:9/audit-logs"\n',
        )
        count = ["--table", "audit_events", "--actor", "bob", "--count"]
        want = str(store.count(Query(actors=frozenset({"bob"})), NOW))
        cases = [
            (["query", "--profile", "wh_cmd", *count], "from-a-command-52"),
            (["query", "--profile", "wh_file", *count], "from-a-file-31"),
            (["query", url, "--profile", "wh_file", *count], "from-a-file-31"),
            (
                ["query", "--profile", "wh_cmd", "--password-file", str(secret), *count],
                "from-a-file-31",
            ),
            (["query", url, *count], "from-the-env-77"),
        ]
        for argv, password in cases:
            server.keys.clear()
            assert main(argv) == 0, argv
            assert capsys.readouterr().out.strip() == want
            assert _sent_passwords(server.keys) == {password}, argv
        monkeypatch.setenv("WH_PASSWORD", "from-a-variable-64")
        server.keys.clear()
        out_file = tmp_path / "bob.jsonl"
        argv = ["export", "--profile", "wh_env", "--actor", "bob", "-o", str(out_file)]
        assert main(argv) == 0
        assert _sent_passwords(server.keys) == {"from-a-variable-64"}
        assert len(out_file.read_bytes().splitlines()) == int(want)
        # a load into a profile's server
        server.keys.clear()
        assert main(["load", "--demo", "--into", "wh_cmd", "--table", "demo_rows"]) == 0
        assert "loaded" in capsys.readouterr().err
        assert _sent_passwords(server.keys) == {"from-a-command-52"}
        # failures: said in one line, the password never shown
        assert main(["query", "--profile", "wh_bad", *count]) == 2
        bad = capsys.readouterr().err
        assert "profile wh_bad: password_command" in bad and "exit status 3" in bad
        assert "leaked-pw-19" not in bad
        monkeypatch.delenv("WH_PASSWORD")
        assert main(["query", "--profile", "wh_env", *count]) == 2
        assert "WH_PASSWORD is not set" in capsys.readouterr().err
        assert main(["query", "--profile", "wh_cmd", "--table", "missing", "--count"]) == 2
        assert main(["load", "--demo", "--into", "api"]) == 2
        assert "profile api is an audit API (http://), not a ClickHouse server" in (
            capsys.readouterr().err
        )
        assert main(["load", "--profile", "wh_file", "--into", f"chdb:{db}"]) == 2
        assert "is a ClickHouse server, not an audit API" in capsys.readouterr().err
        assert main(["load", "--demo", "--into", "nope"]) == 2
        assert "no profile 'nope'" in capsys.readouterr().err
    out, err = capsys.readouterr()
    for password in ("from-a-command", "from-a-file", "from-the-env", "from-a-variable"):
        assert password not in out + err


@pytest.mark.parametrize(
    "body, message",
    [
        ('url = "clickhouse://h/db"\ntoken_env = "T"', "token_env is for an audit API"),
        ('url = "https://h/api"\npassword_file = "/p"', "password_file is for a ClickHouse server"),
        (
            'url = "clickhouse://h/db"\npassword_file = "/p"\npassword_env = "P"',
            "give one of password_file, password_env, not both",
        ),
        ('url = "ftp://h/db"', "url must start with http:// or https://"),
    ],
)
def test_a_profile_of_the_wrong_kind_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, body: str, message: str
) -> None:
    _config(tmp_path, monkeypatch, f"[profiles.p]\n{body}\n")
    assert main(["query", "--profile", "p", "--count"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("query", QUERIES[::4], ids=lambda q: q.summary() or "everything")
def test_the_timeline_buckets_are_the_stores(both: Any, query: Query) -> None:
    """The browser's timeline on a table: one GROUP BY on the engine, the store's counts."""
    from audit_tui.store import time_buckets

    store, ch = both
    assert ch.time_span() == store.time_span()
    span = store.time_span()
    for slots in (37, 120):
        start, step, n = time_buckets(span[0], span[1] + 1, slots)
        want = store.histogram(query, start, step, n, NOW)
        got = ch.histogram(query, start, step, n, NOW)
        assert got.tolist() == want.tolist()
    api = AuditAPI(ch, None)
    from audit_tui.serve import QueryParams

    doc = orjson.loads(api.timeline(QueryParams([("buckets", "90"), ("q", query.text)]), NOW))
    start, step, n = time_buckets(span[0], span[1] + 1, 90)
    text_only = Query(text=query.text)
    assert doc["counts"] == store.histogram(text_only, start, step, n, NOW).tolist()


def test_a_table_loaded_by_an_earlier_version_is_upgraded_on_open(both: Any, db: Path) -> None:
    """A table as an earlier version made it (no identity hashes; the search values in one
    text, ``search``) gets the columns it lacks when opened (metadata only: the engine computes
    them for the rows already there); its counts, facet counts and searches are the store's,
    and so they stay when more events are loaded into it by this version."""
    from audit_tui.clickhouse.schema import create_table_sql
    from audit_tui.commands.common import open_clickhouse

    store, ch = both
    ddl = create_table_sql("older")
    ddl = "\n".join(line for line in ddl.splitlines() if "_hash UInt64 MATERIALIZED" not in line)
    ddl = "\n".join(line for line in ddl.splitlines() if "search_" not in line)
    ch.engine.command(ddl)
    columns = (
        "time, id, event_type, event_type_key, actor_id, actor_name, actor_email, "
        "actor_type, actor_keys, resource_type, resource_id, resource_name, organization_id, "
        "organization_name, workspace_id, workspace_name, workspace_keys, metadata, search, "
        "raw, content_hash"
    )
    half = "cityHash64(id) % 2 = 0"
    ch.engine.command(
        f"INSERT INTO older ({columns}) SELECT {columns} FROM audit_events WHERE {half}"
    )
    has = (
        "SELECT count() AS n FROM system.columns WHERE table = 'older' "
        "AND (name LIKE '%_hash' OR name LIKE 'search%')"
    )
    assert ch.engine.rows(has) == [{"n": 2}]  # content_hash and search
    events = open_clickhouse(f"chdb:{db}", "older")
    try:
        assert events.engine.rows(has) == [{"n": 6}]
        assert events.split_search
        subset = events.engine.rows(f"SELECT count() AS n FROM audit_events WHERE {half}")
        assert events.total == subset[0]["n"] < 3000
        report = load_store(store, events.engine, "older")  # the other half, this version's way
        assert report.inserted == 3000 - subset[0]["n"]
        for query in (Query(), Query(text="invoice", actors=frozenset({"bob"}))):
            want, got = store.facets(query, NOW), events.facets(query, NOW)
            for name in ("actors", "event_types", "workspaces"):
                assert _facet_map(got, name) == _facet_map(want, name)
        for text in [*TERMS, *_generated(30)]:
            query = Query(text=text)
            assert events.count(query, NOW) == store.count(query, NOW), text
    finally:
        events.close()
