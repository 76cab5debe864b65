"""`audit-tui serve`: the reference server of the audit API contract (docs/api.md).

The API logic is tested directly (AuditAPI), the HTTP side through uvicorn on 127.0.0.1 with
a free port, and the command as a subprocess once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from audit_tui.query import Query
from audit_tui.serve import ApiError, AuditAPI, QueryParams, create_app, serve_in_thread

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
TOKEN = "serve-test-token-7d1f"


@pytest.fixture(scope="module")
def store() -> Iterator[Any]:
    from audit_tui.sources.file import open_source

    s = open_source(None, demo=True, now=NOW)
    assert s.wait(60)
    yield s
    s.close()


@pytest.fixture(scope="module")
def api(store: Any) -> AuditAPI:
    return AuditAPI(store, TOKEN)


@pytest.fixture(scope="module")
def url(api: AuditAPI) -> Iterator[str]:
    with serve_in_thread(create_app(api)) as u:
        yield u


def P(**kwargs: Any) -> QueryParams:
    items: list[tuple[str, str]] = []
    for key, value in kwargs.items():
        for v in value if isinstance(value, list) else [value]:
            items.append((key, str(v)))
    return QueryParams(items)


def ids(body: bytes) -> list[str]:
    return [e["id"] for e in orjson.loads(body)["data"]]


def all_ids(api: AuditAPI, **kwargs: Any) -> list[str]:
    out: list[str] = []
    cursor = None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        doc = orjson.loads(api.page(P(**kwargs, **extra)))
        out += [e["id"] for e in doc["data"]]
        if not doc["has_more"]:
            assert doc["next"] is None
            return out
        cursor = doc["next"]


def store_ids(store: Any, query: Query) -> list[str]:
    return [store.record(int(p))["id"] for p in store.search(query, NOW).positions]


# -- the API logic ------------------------------------------------------------------------


def test_first_page_shape_and_total(api: AuditAPI, store: Any) -> None:
    doc = orjson.loads(api.page(P(limit=5)))
    assert set(doc) == {"data", "next", "has_more", "total"}
    assert len(doc["data"]) == 5 and doc["has_more"] is True and doc["total"] == store.total
    assert isinstance(doc["next"], str)
    # newest first, the records exactly as the file holds them
    assert [e["id"] for e in doc["data"]] == store_ids(store, Query())[:5]
    assert orjson.dumps(doc["data"][0]) == orjson.dumps(orjson.loads(store.raw(0)))


@pytest.mark.parametrize(
    ("params", "query"),
    [
        ({}, Query()),
        ({"q": "invoice-bot"}, Query(text="invoice-bot")),
        (
            {"event_type": ["Agent Deleted", "Agent Created"]},
            Query(event_types=frozenset({"Agent Deleted", "Agent Created"})),
        ),
        (
            {"since": "2026-11-01T00:00:00.000Z", "until": "2026-11-10T00:00:00.000Z"},
            Query(since="2026-11-01T00:00:00Z", until="2026-11-10T00:00:00Z"),
        ),
        (
            {"workspace": "Finance Ops", "q": "failed"},
            Query(text="failed", workspaces=frozenset({"Finance Ops"})),
        ),
    ],
)
def test_paging_to_the_end_matches_the_store(
    api: AuditAPI, store: Any, params: dict[str, Any], query: Query
) -> None:
    expected = store_ids(store, query)
    assert all_ids(api, limit=1000, **params) == expected
    if len(expected) < 3000:
        assert all_ids(api, limit=97, **params) == expected


def test_limit_is_capped_and_checked(store: Any) -> None:
    small = AuditAPI(store, None, max_limit=3)
    assert len(ids(small.page(P(limit=5000)))) == 3
    assert len(ids(small.page(P()))) == 3  # the default 100, capped too
    for bad in ("0", "-1", "ten"):
        with pytest.raises(ApiError) as info:
            small.page(P(limit=bad))
        assert (info.value.status, info.value.code) == (400, "invalid_parameter")


def test_cursor_belongs_to_its_query(api: AuditAPI) -> None:
    doc = orjson.loads(api.page(P(limit=2, event_type="Agent Invoked")))
    cursor = doc["next"]
    again = api.page(P(limit=2, event_type="Agent Invoked", cursor=cursor))
    assert ids(again) != [e["id"] for e in doc["data"]]
    # the limit may change between pages; the filters may not
    assert len(ids(api.page(P(limit=7, event_type="Agent Invoked", cursor=cursor)))) == 7
    with pytest.raises(ApiError) as info:
        api.page(P(limit=2, event_type="Agent Deleted", cursor=cursor))
    assert (info.value.status, info.value.code) == (400, "invalid_cursor")
    assert "different query" in info.value.message


@pytest.mark.parametrize("cursor", ["abc", "", "eyJ4IjoxfQ.0000", "!!!.???"])
def test_forged_cursor_is_refused(api: AuditAPI, store: Any, cursor: str) -> None:
    if not cursor:
        assert ids(api.page(P(limit=1, cursor=""))) == store_ids(store, Query())[:1]
        return
    with pytest.raises(ApiError) as info:
        api.page(P(limit=1, cursor=cursor))
    assert info.value.code == "invalid_cursor"


def test_cursor_from_another_run_is_refused(api: AuditAPI, store: Any) -> None:
    cursor = orjson.loads(api.page(P(limit=1)))["next"]
    with pytest.raises(ApiError):
        AuditAPI(store, None).page(P(limit=1, cursor=cursor))


def test_bad_time_is_a_400(api: AuditAPI) -> None:
    with pytest.raises(ApiError) as info:
        api.page(P(since="not a time"))
    assert (info.value.status, info.value.code) == (400, "invalid_parameter")
    with pytest.raises(ApiError):
        api.page(P(since="2026-11-10T00:00:00Z", until="2026-11-01T00:00:00Z"))


def test_an_offset_past_24_hours_is_a_400_not_a_500(api: AuditAPI) -> None:
    """Issue 10 row 9: ``since=2026-01-01T00:00:00+99:00`` named the bad offset, never a 500."""
    for params in (P(since="2026-01-01T00:00:00+99:00"), P(q="since:2026-01-01T00:00:00+99:00")):
        with pytest.raises(ApiError) as info:
            api.page(params)
        assert (info.value.status, info.value.code) == (400, "invalid_parameter")
        assert "offset" in info.value.message and "+99:00" in info.value.message


def test_facets_match_the_store(api: AuditAPI, store: Any) -> None:
    query = Query(event_types=frozenset({"Agent Deleted"}), text="ops")
    expected = store.facets(query, NOW)
    for field, facet in (
        ("actor", "actors"),
        ("event_type", "event_types"),
        ("workspace", "workspaces"),
    ):
        doc = orjson.loads(api.facets(P(field=field, event_type="Agent Deleted", q="ops")))
        got = [(d["value"], d["label"], d["count"]) for d in doc["data"]]
        assert got == [(v.value, v.label, v.count) for v in expected.get(facet)]
    with pytest.raises(ApiError) as info:
        api.facets(P(field="organization"))
    assert info.value.code == "invalid_parameter"


def test_foreign_records_are_served_in_the_native_shape(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import audit_tui.serve as serve

    api = AuditAPI(store, None)
    monkeypatch.setattr(serve, "normalise", lambda r: {**r, "native": True})
    foreign = b'{"eventName":"Login","eventTime":"2026-11-01T00:00:00Z"}'
    monkeypatch.setattr(store, "event_raw", lambda e: foreign)
    (event,) = orjson.loads(api.page(P(limit=1)))["data"]
    assert event["native"] is True and event["eventName"] == "Login"


# -- over HTTP ----------------------------------------------------------------------------


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_http_page_and_facets(url: str, store: Any) -> None:
    r = httpx.get(url, params={"limit": 3}, headers=auth())
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert [e["id"] for e in r.json()["data"]] == store_ids(store, Query())[:3]
    r = httpx.get(url + "/facets", params={"field": "workspace"}, headers=auth())
    assert r.status_code == 200 and r.json()["data"][0]["count"] > 0


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthorized"),
        (auth("wrong"), "invalid_token"),
        ({"Authorization": TOKEN}, "unauthorized"),
    ],
)
def test_http_auth(url: str, headers: dict[str, str], code: str) -> None:
    for path in ("", "/facets?field=actor"):
        r = httpx.get(url + path, headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == code
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in r.text


def test_http_errors_use_the_envelope(
    url: str, api: AuditAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = url.rsplit("/audit-logs", 1)[0]
    r = httpx.get(base + "/nope", headers=auth())
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = httpx.post(url, headers=auth())
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = httpx.get(url, params={"cursor": "x"}, headers=auth())
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor"

    def boom(*args: Any) -> bytes:
        raise RuntimeError("kaput")

    monkeypatch.setattr(api, "page", boom)
    with serve_in_thread(create_app(api)) as broken:
        r = httpx.get(broken, headers=auth())
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal"
    assert "kaput" not in r.text


# -- the command --------------------------------------------------------------------------


def test_serve_refuses_without_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit_tui.commands.main import main

    monkeypatch.delenv("AUDIT_TUI_TOKEN", raising=False)
    monkeypatch.delenv("MY_VAR", raising=False)
    assert main(["serve", "--demo"]) == 2
    assert "serve needs a token" in capsys.readouterr().err
    assert main(["serve", "--demo", "--token-env", "MY_VAR"]) == 2
    assert "$MY_VAR" in capsys.readouterr().err


def test_serve_without_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit_tui.commands.main import main

    monkeypatch.setitem(sys.modules, "starlette", None)
    assert main(["serve", "--demo", "--no-auth"]) == 2
    assert "pip install 'audit-tui[serve]'" in capsys.readouterr().err


def test_serve_bad_port_and_missing_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from audit_tui.commands.main import main

    assert main(["serve", "--no-auth", "--port", "70000"]) == 2
    assert main(["serve", str(tmp_path / "nope.jsonl"), "--no-auth", "--port", "0"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_serve_command_end_to_end(tmp_path: Path) -> None:
    """The real command in a subprocess: port 0, the URL printed, answered with the token."""
    events = [
        {"id": f"e{i}", "audited_at": f"2026-11-{10 + i:02d}T10:00:00Z", "event_type": "x.y"}
        for i in range(5)
    ]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    env = {**os.environ, "SERVE_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "audit_tui",
            "serve",
            str(path),
            "--port",
            "0",
            "--token-env",
            "SERVE_TOKEN",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving 5 events at http://127.0.0.1:" in line, line
        endpoint = line.split(" at ", 1)[1].split()[0]
        assert endpoint.endswith("/audit-logs")
        r = httpx.get(endpoint, params={"limit": 2}, headers=auth())
        assert [e["id"] for e in r.json()["data"]] == ["e4", "e3"]
        assert httpx.get(endpoint).status_code == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert TOKEN not in err and "loaded 5 events" in err


def test_no_auth_warns(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'{"id":"a","audited_at":"2026-11-10T10:00:00Z","event_type":"x"}\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit_tui", "serve", str(path), "--port", "0", "--no-auth"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().split(" at ", 1)[1].split()[0]
        assert httpx.get(endpoint).json()["total"] == 1
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "warning: --no-auth" in err


def test_actor_facets_carry_the_actor_type() -> None:
    """The browser marks system accounts and API keys in the Actor panel of a remote source
    too: the facets endpoint says each actor's type, and the client keeps it."""
    from audit_tui.remote.client import parse_facets

    body = orjson.dumps(
        {
            "data": [
                {"value": "sys_1", "label": "scheduler", "count": 3, "type": "system"},
                {"value": "u", "count": 1},
            ]
        }
    )
    first, second = parse_facets(body)
    assert (first.kind, first.label) == ("system", "scheduler")
    assert (second.kind, second.label) == ("", "u")


def test_a_relative_query_is_not_answered_from_a_stale_cache(
    open_store: Any, make_event: Any, monkeypatch: Any
) -> None:
    """``q=since:1h`` (or ``since=1h``) follows the clock: an hour later the same text must not
    get the answer cached an hour ago; an absolute query keeps its cached answer."""
    import audit_tui.serve as serve_mod

    store = open_store(
        [
            make_event("e1", "2026-11-20T10:30:00Z"),
            make_event("e2", "2026-11-20T11:30:00Z"),
        ]
    )
    api = AuditAPI(store, None)
    first = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    later = datetime(2026, 11, 20, 12, 45, tzinfo=UTC)
    clock = [1000.0]
    monkeypatch.setattr(serve_mod.time, "monotonic", lambda: clock[0])
    for params in (P(q="since:1h"), P(since="1h")):
        assert ids(api.page(params, first)) == ["e2"]
        clock[0] += 1  # paging on at once reuses the answer
        assert ids(api.page(params, first)) == ["e2"]
        clock[0] += 3600
        assert ids(api.page(params, later)) == []  # e2 is now 75 minutes old
    absolute = P(q="since:2026-11-20T11:00:00Z")
    assert serve_mod.depends_on_now(Query(text="since:2026-11-20T11:00:00Z"), first) is False
    assert serve_mod.depends_on_now(Query(text="since:1h"), first) is True
    assert ids(api.page(absolute, first)) == ["e2"]


def test_the_timeline_endpoint_counts_what_the_browser_would(api: AuditAPI, store: Any) -> None:
    """``/audit-logs/timeline``: the matches per bucket over the query's window (all time:
    the oldest to the newest event), the buckets by the browser's own rule."""
    from audit_tui.store import time_buckets

    span = store.time_span()
    start, step, n = time_buckets(span[0], span[1] + 1, 80)
    doc = orjson.loads(api.timeline(P(buckets=80), NOW))
    want = store.histogram(Query(), start, step, n, NOW).tolist()
    assert doc == {"start": start, "step": step, "counts": want, "end": span[1] + 1}
    assert sum(doc["counts"]) == store.total
    since, until = "2026-11-10T00:00:00.000Z", "2026-11-20T00:00:00.000Z"
    params = P(buckets=40, since=since, until=until, q="type:created OR type:deleted")
    doc = orjson.loads(api.timeline(params, NOW))
    query = Query(since=since, until=until, text="type:created OR type:deleted")
    window = query.window(NOW)
    assert window.since is not None and window.until is not None
    start, step, n = time_buckets(window.since, window.until, 40)
    assert doc["counts"] == store.histogram(query, start, step, n, NOW).tolist()
    assert 0 < sum(doc["counts"]) == store.count(query, NOW) < store.total
    for bad in ("0", "1001", "many"):
        with pytest.raises(ApiError) as caught:
            api.timeline(P(buckets=bad), NOW)
        assert caught.value.status == 400 and "buckets" in caught.value.message


def test_the_timeline_over_http_and_the_clients_reading(url: str) -> None:
    from audit_tui.remote.client import PayloadError, parse_timeline

    r = httpx.get(url + "/timeline", params={"buckets": "10"}, headers=auth())
    assert r.status_code == 200
    counts = parse_timeline(r.content)
    assert counts.start is not None and 1 <= len(counts.counts) <= 10
    assert httpx.get(url + "/timeline").status_code == 401
    assert parse_timeline(b'{"start": null, "step": null, "counts": [], "end": null}').start is None
    for body in (
        b"nope",
        b'{"counts": 3}',
        b'{"start": 0, "step": 0, "counts": [1]}',
        b'{"start": 0, "step": 10, "counts": [1, -2]}',
        b'{"start": "0", "step": 10, "counts": [1]}',
        b'{"start": 0, "step": 10, "counts": [true]}',
        b'{"start": 0, "step": 10, "counts": [' + b",".join([b"1"] * 1001) + b"]}",
    ):
        with pytest.raises(PayloadError):
            parse_timeline(body)
