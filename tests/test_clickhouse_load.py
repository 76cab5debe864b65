"""``audit-tui load`` from every kind of source into the real engine (chDB): a file of JSON lines
read a batch at a time (the same events, skipped lines and line numbers as the store gives), a
gzipped one, and an audit API served by the real ``audit-tui serve`` on 127.0.0.1, page by page;
loading again adds nothing; a load that stops half-way keeps what it loaded and the next one
adds only the rest."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_clickhouse import NOW, _events, _facet_map

from audit_tui.clickhouse.engine import ChdbEngine
from audit_tui.clickhouse.events import ClickHouseEvents
from audit_tui.clickhouse.load import count_rows, load_store
from audit_tui.commands import load as load_command
from audit_tui.commands.main import main
from audit_tui.query import Query
from audit_tui.sources.file import open_source
from audit_tui.sources.stream import line_source
from audit_tui.store import describe_skipped

TOKEN = "load-test-token-5be1c0"
COLUMNS = "id, content_hash, time, event_type_key, actor_keys, workspace_keys, search, raw"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database directory for the module (chDB opens one path per process at a time)."""
    return tmp_path_factory.mktemp("db") / "audit.db"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 events with invalid lines among them, a blank line and a byte order mark."""
    lines = [orjson.dumps(ev) for ev in _events()]
    lines.insert(10, b'{"id": "no-time", "event_type": "Login"}')
    lines.insert(500, b"not json at all")
    lines.insert(1200, b"")
    lines.insert(2999, b'{"id": "no-type", "audited_at": "2026-11-01T00:00:00Z"}')
    path = tmp_path_factory.mktemp("src") / "events.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module")
def store(source: Path) -> Iterator[Any]:
    s = open_source(str(source))
    s.wait()
    yield s
    s.close()


def _table(engine: ChdbEngine, table: str) -> list[dict[str, Any]]:
    sql = f"SELECT {COLUMNS} FROM {{t:Identifier}} ORDER BY id, content_hash"
    return engine.rows(sql, {"t": table})


def test_a_file_is_read_a_batch_at_a_time_as_the_store_reads_it(
    store: Any, source: Path, tmp_path: Path
) -> None:
    lines = line_source(str(source))
    assert lines is not None and not lines.compressed
    batches = list(lines.batches(records=700))
    raws = [raw for b in batches for raw in b.raws]
    skipped = [s for b in batches for s in b.skipped]
    assert sorted(raws) == sorted(store.raw(p) for p in range(store.total))
    assert raws[0].startswith(b'{"id":"evt_000000"')  # in the file's order
    assert skipped == store.skipped and len(skipped) == 3
    assert batches[-1].done == 1.0 and all(0 < b.done <= 1 for b in batches)
    # gzipped: the same records; a JSON document or CSV is read whole (None)
    packed = tmp_path / "events.jsonl.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    zipped = line_source(str(packed))
    assert zipped is not None and zipped.compressed
    assert [r for b in zipped.batches(records=900) for r in b.raws] == raws
    document = tmp_path / "events.json"
    document.write_bytes(orjson.dumps(_events(5)))
    assert line_source(str(document)) is None and line_source("-") is None


def test_a_line_too_long_is_skipped_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    good = orjson.dumps({"id": "a", "audited_at": "2026-11-01T00:00:00Z", "event_type": "x"})
    path.write_bytes(good + b"\n" + b'{"id": "' + b"x" * 300 + b'"}\n' + good + b"\n")
    lines = line_source(str(path), max_line=200)
    assert lines is not None
    got = list(lines.batches())
    assert [r for b in got for r in b.raws] == [good, good]
    want = open_source(str(path), max_line=200)
    want.wait()
    assert [s for b in got for s in b.skipped] == want.skipped
    assert (
        describe_skipped(want.skipped) == "skipped 1 invalid record: line 2 longer than 200 bytes"
    )
    want.close()


def test_the_load_command_streams_the_same_rows_as_the_store_gives(
    store: Any, source: Path, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setattr(load_command, "BATCH", 400)  # many inserts
    assert main(["load", str(source), "--into", f"chdb:{db}", "--table", "streamed"]) == 0
    err = capsys.readouterr().err
    assert main(["query", str(source), "--count"]) == 0
    query_err = capsys.readouterr().err
    skipped = [line for line in err.splitlines() if "skipped" in line]
    assert skipped == [line for line in query_err.splitlines() if "skipped" in line]
    assert "line 11 no audited_at" in err and "line 501 invalid JSON" in err
    assert "loaded 3,000 new events" in err
    engine = ChdbEngine(str(db))
    try:
        load_store(store, engine, "from_store")
        assert _table(engine, "streamed") == _table(engine, "from_store")
        assert main(["load", str(source), "--into", f"chdb:{db}", "--table", "streamed"]) == 0
        assert "loaded 0 new events" in capsys.readouterr().err
        assert count_rows(engine, "streamed") == 3000
    finally:
        engine.close()


# -- from an audit API -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(source: Path) -> Iterator[str]:
    """The real ``audit-tui serve`` in a subprocess on 127.0.0.1, pages of at most 300."""
    env = {**os.environ, "LOAD_TEST_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "audit_tui", "serve", str(source), "--port", "0"]
    cmd += ["--token-env", "LOAD_TEST_TOKEN", "--max-limit", "300"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving 3,000 events at http://127.0.0.1:" in line, line
        yield line.split(" at ", 1)[1].split()[0]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_load_from_an_audit_api_page_by_page(
    store: Any,
    served: str,
    db: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUDIT_TUI_TOKEN", TOKEN)
    monkeypatch.setattr(load_command, "BATCH", 1000)  # 10 pages of 300, 4 inserts
    target = ["--into", f"chdb:{db}", "--table", "from_api"]
    assert main(["load", served, *target]) == 0
    out, err = capsys.readouterr()
    assert "loaded 3,000 new events into chdb:" in err
    assert TOKEN not in out + err
    engine = ChdbEngine(str(db))
    try:
        ch = ClickHouseEvents(engine, "from_api")
        for query in (
            Query(),
            Query(text="type:deleted OR invoice -actor:bob"),
            Query(period="30d"),
        ):
            result = store.search(query, NOW)
            assert ch.count(query, NOW) == result.count
            assert [e.row for e in ch.page(query, 30, None, NOW).events] == store.rows(
                result.positions[:30]
            )
            want, got = store.facets(query, NOW), ch.facets(query, NOW)
            for name in ("actors", "event_types", "workspaces"):
                assert _facet_map(got, name) == _facet_map(want, name)
        # the server sends each event as the file wrote it: the same rows as the file gives
        load_store(store, engine, "from_store")
        assert _table(engine, "from_api") == _table(engine, "from_store")
        assert main(["load", served, *target]) == 0
        assert "loaded 0 new events" in capsys.readouterr().err
        assert count_rows(engine, "from_api") == 3000
    finally:
        engine.close()
    monkeypatch.delenv("AUDIT_TUI_TOKEN")
    assert main(["load", served, "--into", f"chdb:{db}", "--table", "refused"]) == 1
    assert "the server wants a token" in capsys.readouterr().err


def test_a_load_that_stops_keeps_what_it_loaded(
    store: Any, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server fails after some pages: what was inserted stays, the message says how far
    it got, and loading again adds exactly the rest. Events that are no event (no time) are
    counted and said, not loaded."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from audit_tui.serve import serve_in_thread

    raws = [store.raw(p) for p in range(store.total)]
    raws.insert(5, b'{"id": "bad", "event_type": "Login"}')  # no audited_at
    state = {"fail_at": 4}

    async def page(request: Request) -> Response:
        start = int(request.query_params.get("cursor") or 0)
        if state["fail_at"] and start // 500 == state["fail_at"]:
            return Response(b'{"error": {"code": "db", "message": "db down"}}', 500)
        chunk = raws[start : start + 500]
        more = start + 500 < len(raws)
        body = b'{"data":[' + b",".join(chunk) + b'],"has_more":' + (b"true" if more else b"false")
        body += b',"next":' + (orjson.dumps(str(start + 500)) if more else b"null") + b"}"
        return Response(body, 200, media_type="application/json")

    monkeypatch.setattr(load_command, "BATCH", 1000)
    target = ["--into", f"chdb:{db}", "--table", "halfway"]
    with serve_in_thread(Starlette(routes=[Route("/audit-logs", page)])) as url:
        assert main(["load", url, *target]) == 1
        err = capsys.readouterr().err
        assert "stopped after 2,000 events" in err and "db down" in err
        engine = ChdbEngine(str(db))
        try:
            assert count_rows(engine, "halfway") == 1999  # 2,000 less the one without a time
            state["fail_at"] = 0
            assert main(["load", url, *target]) == 0
            err = capsys.readouterr().err
            assert "loaded 1,001 new events" in err and "(1,999 already there)" in err
            assert "skipped 1 event the server sent without a valid audited_at" in err
            assert "event 6 no audited_at" in err
            assert count_rows(engine, "halfway") == 3000
        finally:
            engine.close()


def test_the_documented_ddl_is_the_ddl() -> None:
    """docs/clickhouse.md gives the statements the code runs: the table and its side tables on
    one server, and the sharded cluster's."""
    from audit_tui.clickhouse.schema import cluster_sql, create_table_sql, side_tables_sql

    docs = (Path(__file__).resolve().parents[1] / "docs" / "clickhouse.md").read_text()
    statements = [create_table_sql("audit_events"), *side_tables_sql("audit_events")]
    for sql in [*statements, *cluster_sql("audit_events")]:
        assert sql + ";" in docs, sql.splitlines()[0]
