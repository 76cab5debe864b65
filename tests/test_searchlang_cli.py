"""The search language on the command line (--search, the positional form, --count-by), in
``serve`` (the ``q`` parameter) and in what the remote client sends."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest

from audit_tui.commands.main import main
from audit_tui.query import Query
from audit_tui.serve import ApiError, AuditAPI, QueryParams

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
TEXT = "type:deleted OR type:revoked -actor:dana"


@pytest.fixture(scope="module")
def demo() -> Iterator[Any]:
    from audit_tui.sources.file import open_source

    s = open_source(None, demo=True, now=NOW)
    assert s.wait(60)
    yield s
    s.close()


def test_positional_and_search_forms(demo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    want = demo.count(Query(text=TEXT))
    assert 0 < want < demo.total
    assert main(["query", "--demo", "--count", "--", TEXT]) == 0
    assert capsys.readouterr().out == f"{want}\n"
    assert main(["query", "--demo", "--count", "--search", TEXT]) == 0
    assert capsys.readouterr().out == f"{want}\n"
    # both: ANDed
    both = demo.count(Query(text=f"{TEXT} workspace:prod"))
    assert main(["query", "--demo", "--count", "--search", "workspace:prod", "--", TEXT]) == 0
    assert capsys.readouterr().out == f"{both}\n"


def test_a_parse_error_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--demo", "--count", "--", 'actor:"ada']) == 2
    err = capsys.readouterr().err
    assert err == 'audit-tui: search, column 7: unbalanced quote: this " is never closed\n'


def test_count_by_actor_table_and_json(demo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--demo", "--count-by", "actor", "--format", "json", "--", TEXT]) == 0
    rows = orjson.loads(capsys.readouterr().out)
    assert sum(r["count"] for r in rows) == demo.count(Query(text=TEXT))
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)
    assert set(rows[0]) == {"value", "count"}
    assert main(["query", "--demo", "--count-by", "actor", "--limit", "2", "--", TEXT]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["value", "count"] and len(lines) == 3


@pytest.mark.parametrize("field", ["day", "hour"])
def test_count_by_time_buckets(demo: Any, field: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["query", "--demo", "--count-by", field, "--format", "csv", "--", TEXT]
    assert main(args) == 0
    out = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert out[0] == ["value", "count"]
    body = out[1:]
    assert sum(int(n) for _, n in body) == demo.count(Query(text=TEXT))
    assert int(body[0][1]) > 0 and int(body[-1][1]) > 0
    if field == "day":
        days = [date.fromisoformat(v) for v, _ in body]
        assert days == [days[0] + timedelta(days=i) for i in range(len(days))]  # none missing
    else:
        hours = [datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ") for v, _ in body]
        assert hours == [hours[0] + timedelta(hours=i) for i in range(len(hours))]


def test_count_by_organization_and_resource_type(
    demo: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    for field in ("organization", "resource_type", "workspace", "event_type"):
        assert main(["query", "--demo", "--count-by", field, "--format", "json"]) == 0
        rows = orjson.loads(capsys.readouterr().out)
        assert sum(r["count"] for r in rows) == demo.total, field
    assert main(["query", "--demo", "--count-by", "organization", "--format", "json"]) == 0
    assert {r["value"] for r in orjson.loads(capsys.readouterr().out)} >= {"Acme Corp"}


def test_serve_implements_the_language(demo: Any) -> None:
    api = AuditAPI(demo, "t")
    doc = orjson.loads(api.page(QueryParams([("q", TEXT), ("limit", "5")])))
    assert doc["total"] == demo.count(Query(text=TEXT))
    with pytest.raises(ApiError) as info:
        api.page(QueryParams([("q", "a OR")]))
    assert info.value.status == 400 and "column 3" in info.value.message


def test_remote_sends_the_text_unchanged() -> None:
    from audit_tui.remote.client import query_params

    params = query_params(Query(text=TEXT), NOW)
    assert ("q", TEXT) in params
