"""The remote source: the client, its pager and `audit-tui query URL`, against real servers.

Two servers run on 127.0.0.1 with free ports for the whole module: ``serve`` over the bundled
sample (a fixed "now"), behind a recorder of the requests it saw, and a scripted fault server
that answers what each test tells it to (503s, 429s, slow answers, bad JSON, cursors as URLs).
Mocks only where a server cannot be used: a non-loopback host and the TLS context.
Backoff sleeps are recorded, never slept.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import orjson
import pytest

import audit_tui.remote.client as client_mod
from audit_tui.commands.main import main
from audit_tui.query import Query
from audit_tui.remote import (
    AuthError,
    CursorError,
    NetworkError,
    PayloadError,
    RateLimitError,
    RemoteClient,
    RemotePager,
    RemoteTimeoutError,
    ServerError,
    SyncRemoteClient,
    query_params,
)
from audit_tui.remote.errors import RemoteError, SettingsError
from audit_tui.remote.settings import Secret, plain_http_warning, resolve_settings
from audit_tui.serve import AuditAPI, create_app, serve_in_thread

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
TOKEN = "tok-SECRET-4f9c1e77"  # recognisable: it must never show up anywhere


# -- servers -------------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    params: list[tuple[str, str]]
    auth: str | None

    def get(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]


class Recorder:
    """ASGI middleware: remembers every request (path, parameters, Authorization)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[Seen] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            auth = headers.get(b"authorization")
            self.seen.append(
                Seen(
                    scope["path"],
                    parse_qsl(scope["query_string"].decode(), keep_blank_values=True),
                    auth.decode() if auth else None,
                )
            )
        await self.app(scope, receive, send)


Step = Callable[[Seen, Any], Awaitable[None]]


class FaultApp:
    """A raw ASGI app answering each request with the next scripted step."""

    def __init__(self) -> None:
        self.steps: deque[Step] = deque()
        self.seen: list[Seen] = []

    def script(self, *steps: Step) -> None:
        self.steps.clear()
        self.steps.extend(steps)
        self.seen.clear()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization")
        seen = Seen(
            scope["path"],
            parse_qsl(scope["query_string"].decode(), keep_blank_values=True),
            auth.decode() if auth else None,
        )
        self.seen.append(seen)
        step = self.steps.popleft() if self.steps else respond(500, {"error": {"code": "x"}})
        await step(seen, send)


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> Step:
    data = body if isinstance(body, bytes) else orjson.dumps(body)

    async def step(seen: Seen, send: Any) -> None:
        hdrs = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
        ]
        hdrs += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": data})

    return step


def slow(seconds: float, then: Step) -> Step:
    async def step(seen: Seen, send: Any) -> None:
        await asyncio.sleep(seconds)
        await then(seen, send)

    return step


def cut_short(body: bytes, declared: int) -> Step:
    """Headers promise ``declared`` bytes; the connection ends after ``body``."""

    async def step(seen: Seen, send: Any) -> None:
        hdrs = [(b"content-type", b"application/json"), (b"content-length", str(declared).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": hdrs})
        await send({"type": "http.response.body", "body": body, "more_body": True})
        raise RuntimeError("connection dropped")

    return step


def event(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"e{i}",
        "audited_at": f"2026-11-{(i % 28) + 1:02d}T10:00:00Z",
        "event_type": "t",
        **extra,
    }


def page(
    events: list[dict[str, Any]], next: Any = None, has_more: Any = None, **extra: Any
) -> Step:
    body: dict[str, Any] = {"data": events, "next": next}
    body["has_more"] = (next is not None) if has_more is None else has_more
    body.update(extra)
    return respond(200, body)


@pytest.fixture(scope="module")
def sample_store() -> Iterator[Any]:
    from audit_tui.sources.file import open_source

    store = open_source(None, demo=True, now=NOW)
    assert store.wait(60)
    yield store
    store.close()


@pytest.fixture(scope="module")
def served(sample_store: Any) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder(create_app(AuditAPI(sample_store, TOKEN)))
    with serve_in_thread(recorder) as url:
        yield url, recorder


@pytest.fixture
def server(served: tuple[str, Recorder]) -> tuple[str, Recorder]:
    served[1].seen.clear()
    return served


@pytest.fixture(scope="module")
def fault_server() -> Iterator[tuple[str, FaultApp]]:
    app = FaultApp()
    with serve_in_thread(app) as url:
        yield url, app


@pytest.fixture
def faults(fault_server: tuple[str, FaultApp]) -> tuple[str, FaultApp]:
    fault_server[1].script()
    return fault_server


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff delays, recorded instead of slept (for clients built anywhere, the CLI too)."""
    recorded: list[float] = []

    async def fake(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(client_mod, "backoff_sleep", fake)
    return recorded


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDIT_TUI_TOKEN", TOKEN)
    monkeypatch.setenv("AUDIT_TUI_CONFIG", str(tmp_path / "no-config.toml"))


def store_ids(store: Any, query: Query) -> list[str]:
    return [store.record(int(p))["id"] for p in store.search(query, NOW).positions]


async def collect(client: RemoteClient, params: Any, **kwargs: Any) -> list[str]:
    out: list[str] = []
    async for p in client.pages(params, **kwargs):
        out += [r["id"] for r in p.records]
    return out


# -- paging and push-down ------------------------------------------------------------------


async def test_pages_to_the_end_in_order(server: tuple[str, Recorder], sample_store: Any) -> None:
    url, rec = server
    query = Query(event_types=frozenset({"Agent Invoked"}))
    async with RemoteClient(url, token=TOKEN, page_size=250) as client:
        got = await collect(client, query_params(query, NOW))
    assert got == store_ids(sample_store, query)
    assert len(rec.seen) == -(-len(got) // 250)
    assert all(s.auth == f"Bearer {TOKEN}" for s in rec.seen)
    assert rec.seen[0].get("cursor") is None and all(s.get("cursor") for s in rec.seen[1:])
    # every page carries the same filters: the server never sends more than asked
    assert {tuple(s.all("event_type")) for s in rec.seen} == {("Agent Invoked",)}


async def test_every_filter_is_pushed_down(server: tuple[str, Recorder], sample_store: Any) -> None:
    url, rec = server
    query = Query(
        text="  deploy  ",
        since="2026-10-01",
        until="2026-11-15T12:30:00+01:00",
        actors=frozenset({"ada@example.com", "usr_x"}),
        event_types=frozenset({"Agent Deployed", "Agent Deployment Failed"}),
        workspaces=frozenset({"Production"}),
    )
    async with RemoteClient(url, token=TOKEN) as client:
        got = await collect(client, query_params(query, NOW))
    assert got == store_ids(sample_store, query)
    first = rec.seen[0]
    assert first.path == "/audit-logs"
    assert first.get("q") == "deploy"
    assert first.get("since") == "2026-10-01T00:00:00.000Z"
    assert first.get("until") == "2026-11-15T11:30:00.000Z"  # UTC, exclusive
    assert first.all("actor") == ["ada@example.com", "usr_x"]
    assert first.all("event_type") == ["Agent Deployed", "Agent Deployment Failed"]
    assert first.all("workspace") == ["Production"]
    assert first.get("limit") == "100"


def test_a_period_becomes_since_until() -> None:
    params = dict(query_params(Query(period="7d"), NOW))
    assert params == {"since": "2026-11-13T12:00:00.000Z", "until": "2026-11-20T12:00:00.001Z"}
    assert query_params(Query(), NOW) == []


@pytest.mark.parametrize("text", ["invoice-bot", "failed", "ada"])
async def test_results_equal_the_local_source(
    server: tuple[str, Recorder], sample_store: Any, text: str
) -> None:
    url, _ = server
    query = Query(text=text, period="30d")
    expected = store_ids(sample_store, query)
    assert expected
    async with RemoteClient(url, token=TOKEN, page_size=1000) as client:
        assert await collect(client, query_params(query, NOW)) == expected
    # the same through the sync wrapper, with the window resolved once
    with SyncRemoteClient(url, token=TOKEN, page_size=1000) as sync:
        ids = [r["id"] for p in sync.pages(query_params(query, NOW)) for r in p.records]
    assert ids == expected


async def test_limit_stops_fetching(server: tuple[str, Recorder]) -> None:
    url, rec = server
    async with RemoteClient(url, token=TOKEN, page_size=4) as client:
        got = await collect(client, [], limit=10)
    assert len(got) == 10
    assert [s.get("limit") for s in rec.seen] == ["4", "4", "2"]


async def test_count_uses_total(server: tuple[str, Recorder], sample_store: Any) -> None:
    url, rec = server
    async with RemoteClient(url, token=TOKEN) as client:
        n, exact = await client.count(query_params(Query(text="ada"), NOW))
    assert (n, exact) == (len(store_ids(sample_store, Query(text="ada"))), True)
    assert len(rec.seen) == 1 and rec.seen[0].get("limit") == "1"


async def test_count_without_total_pages_through(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    app.script(
        page([event(0)], next="c1"),
        page([event(1), event(2)], next="c2"),
        page([event(3)]),
    )
    async with RemoteClient(url) as client:
        assert await client.count([]) == (4, False)
    assert [s.get("cursor") for s in app.seen] == [None, "c1", "c2"]
    assert [s.get("limit") for s in app.seen] == ["1", "1000", "1000"]


async def test_next_as_absolute_url_and_path(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    base = url.rsplit("/", 1)[0]
    app.script(
        page([event(0)], next=f"{base}/other/page2?token=abc&k=1"),
        page([event(1)], next="/other/page3?k=2"),
        page([event(2)]),
    )
    async with RemoteClient(url, token=TOKEN) as client:
        got = await collect(client, [("q", "x")])
    assert got == ["e0", "e1", "e2"]
    assert [(s.path, s.params) for s in app.seen] == [
        ("/audit-logs", [("q", "x"), ("limit", "100")]),
        ("/other/page2", [("token", "abc"), ("k", "1")]),  # followed as given
        ("/other/page3", [("k", "2")]),
    ]
    assert all(s.auth == f"Bearer {TOKEN}" for s in app.seen)


@pytest.mark.parametrize("nxt", ["http://example.com/steal", "//example.com/steal"])
async def test_next_to_another_host_is_refused(faults: tuple[str, FaultApp], nxt: str) -> None:
    url, app = faults
    app.script(page([event(0)], next=nxt))
    got: list[str] = []
    async with RemoteClient(url, token=TOKEN) as client:
        with pytest.raises(PayloadError, match="another host"):
            async for p in client.pages([]):
                got += [r["id"] for r in p.records]
    assert got == ["e0"] and len(app.seen) == 1


async def test_repeated_cursor_stops(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    app.script(page([event(0)], next="same"), page([event(1)], next="same"))
    async with RemoteClient(url) as client:
        with pytest.raises(PayloadError, match="same `next` cursor"):
            await collect(client, [])


# -- faults -------------------------------------------------------------------------------


async def test_503_then_success(faults: tuple[str, FaultApp], sleeps: list[float]) -> None:
    url, app = faults
    app.script(
        respond(503, {"error": {"code": "unavailable", "message": "warming up"}}),
        respond(502, b"bad gateway"),
        page([event(0)]),
    )
    async with RemoteClient(url, rand=lambda: 1.0) as client:
        p = await client.fetch_page([])
    assert [r["id"] for r in p.records] == ["e0"]
    assert sleeps == [0.5, 1.0]  # exponential; jitter pinned at its top


async def test_backoff_has_jitter(faults: tuple[str, FaultApp], sleeps: list[float]) -> None:
    url, app = faults
    app.script(*[respond(504, b"")] * 4)
    async with RemoteClient(url, rand=lambda: 0.0) as client:
        with pytest.raises(ServerError) as info:
            await client.fetch_page([])
    assert sleeps == [0.25, 0.5, 1.0]
    assert len(app.seen) == 4
    assert str(info.value) == "the server is unavailable (504: Gateway Timeout) after 4 attempts"


async def test_429_honours_retry_after(faults: tuple[str, FaultApp], sleeps: list[float]) -> None:
    url, app = faults
    limited = {"error": {"code": "rate_limited", "message": "slow down"}}
    app.script(
        respond(429, limited, {"Retry-After": "2"}),
        respond(429, limited, {"Retry-After": "999"}),
        page([event(0)]),
    )
    async with RemoteClient(url) as client:
        await client.fetch_page([])
    assert sleeps == [2.0, 30.0]  # as asked, then capped


async def test_429_every_time(faults: tuple[str, FaultApp], sleeps: list[float]) -> None:
    url, app = faults
    limited = {"error": {"code": "rate_limited", "message": "slow down"}}
    app.script(*[respond(429, limited, {"Retry-After": "1"})] * 3)
    async with RemoteClient(url, attempts=3) as client:
        with pytest.raises(RateLimitError) as info:
            await client.fetch_page([])
    assert info.value.retry_after == 1.0
    assert "429: slow down" in str(info.value) and "after 3 attempts" in str(info.value)


async def test_read_timeout(faults: tuple[str, FaultApp], sleeps: list[float]) -> None:
    url, app = faults
    app.script(slow(1.0, page([])), slow(1.0, page([])))
    started = time.perf_counter()
    async with RemoteClient(url, timeout=0.2, attempts=2) as client:
        with pytest.raises(RemoteTimeoutError) as info:
            await client.fetch_page([])
    assert time.perf_counter() - started < 1.5
    assert "timed out waiting for 127.0.0.1" in str(info.value)
    assert "after 2 attempts" in str(info.value) and len(sleeps) == 1


async def test_connection_refused(sleeps: list[float]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with RemoteClient(f"http://127.0.0.1:{port}/audit-logs", attempts=3) as client:
        with pytest.raises(NetworkError) as info:
            await client.fetch_page([])
    assert str(info.value) == f"cannot reach 127.0.0.1:{port} (Connection refused) after 3 attempts"
    assert len(sleeps) == 2


async def test_connection_dropped_mid_answer(
    faults: tuple[str, FaultApp], sleeps: list[float]
) -> None:
    url, app = faults
    app.script(cut_short(b'{"data":[', 500), page([event(0)]))
    async with RemoteClient(url) as client:
        p = await client.fetch_page([])
    assert len(p) == 1 and len(sleeps) == 1


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "the server rejected the token (401: the token has expired [invalid_token])"),
        (403, "the server rejected the token (403: the token has expired [invalid_token])"),
    ],
)
async def test_auth_errors(faults: tuple[str, FaultApp], status: int, message: str) -> None:
    url, app = faults
    app.script(
        respond(status, {"error": {"code": "invalid_token", "message": "the token has expired"}})
    )
    async with RemoteClient(url, token=TOKEN) as client:
        with pytest.raises(AuthError) as info:
            await client.fetch_page([])
    assert str(info.value) == message and info.value.status == status
    assert len(app.seen) == 1  # no retry


async def test_401_without_a_token_says_how_to_give_one(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    app.script(respond(401, b""))
    async with RemoteClient(url) as client:
        with pytest.raises(
            AuthError, match=r"wants a token \(401: Unauthorized\).*AUDIT_TUI_TOKEN"
        ):
            await client.fetch_page([])


@pytest.mark.parametrize(
    ("body", "what", "message"),
    [
        (b'{"data": [{"id": "a"}, }', "malformed JSON", "the page is not valid JSON"),
        (b'{"data": [{"id": "a"}, {"id"', "truncated", "the page is cut short (truncated JSON"),
        (b'{"items": []}', "missing data", "the page has no `data` list"),
        (b'{"data": {"id": "a"}}', "data not a list", "the page's `data` is an object, not a list"),
        (b'{"data": null}', "data not a list", "the page's `data` is null, not a list"),
        (b'{"data": [{"id": "a"}, "b"]}', "event not an object", "event 2 of the page is a string"),
        (b'{"data": [], "next": 5}', "bad next", "the page's `next` is a number"),
        (b'{"data": [], "has_more": true}', "missing next", "the page says has_more but"),
        (b'{"data": [], "total": "many"}', "bad total", "the page's `total` is a string"),
        (b"<html>login</html>", "not JSON", "the server sent HTML"),
        (b"[]", "not an object", "the page is a JSON list"),
        (b"", "empty body", "the server sent an empty page"),
    ],
)
async def test_bad_payloads(
    faults: tuple[str, FaultApp], body: bytes, what: str, message: str
) -> None:
    url, app = faults
    app.script(respond(200, body))
    async with RemoteClient(url, token=TOKEN) as client:
        with pytest.raises(PayloadError) as info:
            await client.fetch_page([])
    assert info.value.what == what
    assert str(info.value).startswith(message), str(info.value)
    assert len(app.seen) == 1


async def test_events_before_a_failure_are_kept(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    app.script(
        page([event(0), event(1)], next="c1"),
        respond(400, {"error": {"code": "invalid_cursor", "message": "cursor expired"}}),
    )
    got: list[str] = []
    async with RemoteClient(url) as client:
        with pytest.raises(CursorError) as info:
            async for p in client.pages([]):
                got += [r["id"] for r in p.records]
    assert got == ["e0", "e1"]
    assert str(info.value) == (
        "the server rejected the paging cursor (400: cursor expired [invalid_cursor]); start "
        "again from the first page"
    )


async def test_serve_rejects_a_cursor_of_another_query(server: tuple[str, Recorder]) -> None:
    url, _ = server
    async with RemoteClient(url, token=TOKEN, page_size=2) as client:
        first = await client.fetch_page([("event_type", "Agent Invoked")])
        assert first.next is not None
        with pytest.raises(CursorError, match="different query"):
            await client.fetch_page([("event_type", "Agent Deleted")], first.next)


async def test_other_statuses(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    app.script(
        respond(404, {"error": {"code": "not_found", "message": "no route"}}),
        respond(500, {"error": {"code": "internal", "message": "db down"}}),
        respond(400, {"error": {"code": "invalid_parameter", "message": "bad since"}}),
    )
    async with RemoteClient(url) as client:
        with pytest.raises(ServerError, match=r"no audit API at .*\(404: no route \[not_found\]\)"):
            await client.fetch_page([])
        with pytest.raises(ServerError, match=r"^the server failed \(500: db down \[internal\]\)$"):
            await client.fetch_page([])
        with pytest.raises(ServerError, match=r"refused the request \(400: bad since"):
            await client.fetch_page([])
    assert len(app.seen) == 3  # 500 is not retried; only 502/503/504 are


async def test_server_messages_are_sanitised(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    hostile = "\x1b]52;c;ZXZpbA==\x07[red]boom" + "x" * 500
    app.script(respond(500, {"error": {"code": "x", "message": hostile}}))
    async with RemoteClient(url) as client:
        with pytest.raises(ServerError) as info:
            await client.fetch_page([])
    text = str(info.value)
    assert "\x1b" not in text and "\x07" not in text and "\\e]52" in text and len(text) < 300


async def test_a_page_too_large_is_refused(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    app.script(page([event(i, pad="x" * 1000) for i in range(50)]))
    async with RemoteClient(url, max_page_bytes=10_000) as client:
        with pytest.raises(PayloadError, match="larger than"):
            await client.fetch_page([])


# -- facets ------------------------------------------------------------------------------


async def test_server_facets(server: tuple[str, Recorder], sample_store: Any) -> None:
    url, rec = server
    query = Query(text="agent", event_types=frozenset({"Agent Invoked"}))
    async with RemoteClient(url, token=TOKEN) as client:
        counts = await client.facets("actors", query_params(query, NOW))
    expected = sample_store.facets(query, NOW).actors
    assert counts is not None
    assert [(c.value, c.label, c.count) for c in counts] == [
        (v.value, v.label, v.count) for v in expected
    ]
    assert rec.seen[0].path == "/audit-logs/facets" and rec.seen[0].get("field") == "actor"
    assert rec.seen[0].get("q") == "agent"


async def test_no_facets_endpoint(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    app.script(respond(404, {"error": {"code": "not_found", "message": "no"}}))
    async with RemoteClient(url) as client:
        assert await client.facets("event_type", []) is None
    assert app.seen[0].path == "/audit-logs/facets"


# -- the pager ----------------------------------------------------------------------------


async def test_pager_pages_prefetch_and_end(
    server: tuple[str, Recorder], sample_store: Any
) -> None:
    url, rec = server
    query = Query(event_types=frozenset({"Agent Deleted", "Agent Created"}))
    expected = store_ids(sample_store, query)
    async with RemoteClient(url, token=TOKEN) as client:
        pager = RemotePager(client, query, page_size=4, now=NOW)
        first = await pager.first_page()
        assert first is not None and len(pager.events) == 4
        assert pager.total == len(expected) and pager.has_more
        pager.prefetch()
        assert pager.loading
        await asyncio.sleep(0.2)  # the prefetch lands while the UI does other things
        assert len(pager.events) == 8 and not pager.loading
        third = await pager.next_page()  # nothing in flight: the next one starts
        assert third is not None and len(pager.events) == 12
        while await pager.next_page() is not None:
            pass
        assert [e["id"] for e in pager.events] == expected
        assert not pager.has_more and await pager.next_page() is None
        # each event's text as the server sent it: here, the line of the sample file
        top = int(sample_store.search(query, NOW).positions[0])
        assert pager.raws[0] == sample_store.raw(top).strip()
        assert orjson.loads(pager.raws[0]) == pager.events[0]
    assert len(expected) > 12 and len(rec.seen) == -(-len(expected) // 4)


async def test_pager_restarts_on_query_change(
    server: tuple[str, Recorder], sample_store: Any
) -> None:
    url, rec = server
    async with RemoteClient(url, token=TOKEN) as client:
        pager = RemotePager(client, Query(), page_size=5, now=NOW)
        await pager.first_page()
        await pager.next_page()
        assert len(pager.events) == 10
        assert pager.set_query(Query()) is False  # the same query keeps what is loaded
        new = Query(workspaces=frozenset({"Production"}))
        await pager.restart(new)
        assert [e["id"] for e in pager.events] == store_ids(sample_store, new)[:5]
    last = rec.seen[-1]
    assert last.get("cursor") is None and last.all("workspace") == ["Production"]


async def test_pager_drops_a_stale_page(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    app.script(
        page([event(0)], next="c1"),
        slow(0.3, page([event(99)], next="c2")),  # the prefetch of the old query
        page([event(5)]),  # the new query's first page
    )
    async with RemoteClient(url) as client:
        pager = RemotePager(client, Query(), now=NOW)
        await pager.first_page()
        pager.prefetch()
        waiting = asyncio.ensure_future(pager.next_page())
        await asyncio.sleep(0.05)
        await pager.restart(Query(text="new"))
        assert await waiting is None  # superseded: dropped, not appended
        assert [e["id"] for e in pager.events] == ["e5"] and not pager.has_more
        await asyncio.sleep(0.4)
        assert [e["id"] for e in pager.events] == ["e5"]


async def test_pager_keeps_events_on_error_and_retries(
    faults: tuple[str, FaultApp], sleeps: list[float]
) -> None:
    url, app = faults
    app.script(
        page([event(0), event(1)], next="c1"),
        *[respond(503, {"error": {"code": "down", "message": "maintenance"}})] * 2,
        page([event(2)]),
    )
    async with RemoteClient(url, attempts=2) as client:
        pager = RemotePager(client, Query(), now=NOW)
        await pager.first_page()
        with pytest.raises(ServerError, match="maintenance"):
            await pager.next_page()
        assert [e["id"] for e in pager.events] == ["e0", "e1"]
        assert isinstance(pager.error, ServerError) and pager.has_more
        assert await pager.next_page() is not None  # tries the same cursor again
        assert [e["id"] for e in pager.events] == ["e0", "e1", "e2"] and pager.error is None
        assert pager.total == 3  # no total from the server: known once at the end
    assert [s.get("cursor") for s in app.seen] == [None, "c1", "c1", "c1"]


async def test_pager_facets_from_the_server(
    server: tuple[str, Recorder], sample_store: Any
) -> None:
    url, _ = server
    query = Query(workspaces=frozenset({"Production", "No Such Workspace"}))
    async with RemoteClient(url, token=TOKEN) as client:
        pager = RemotePager(client, query, now=NOW)
        await pager.first_page()
        facets = await pager.facets("workspace")
    assert facets.exact and facets.source == "server" and pager.facets_endpoint is True
    values = {v.value: v.count for v in facets.values}
    assert values["No Such Workspace"] == 0  # a selected value stays listed
    expected = {v.value: v.count for v in sample_store.facets(query, NOW).workspaces}
    assert {k: v for k, v in values.items() if v} == {k: v for k, v in expected.items() if v}


async def test_pager_facets_fall_back_to_loaded_events(faults: tuple[str, FaultApp]) -> None:
    url, app = faults
    actor = {"id": "usr_a", "name": "Ada", "email": "ada@example.com", "type": "user"}
    app.script(
        page([event(0, actor=actor), event(1, actor=actor), event(2, actor="bot")], next="c1"),
        respond(404, b"{}"),
    )
    async with RemoteClient(url) as client:
        pager = RemotePager(client, Query(), now=NOW)
        await pager.first_page()
        facets = await pager.facets("actors")
        again = await pager.facets("event_types")
    assert facets.source == "loaded" and not facets.exact and pager.facets_endpoint is False
    assert [(v.value, v.label, v.count, v.kind) for v in facets.values] == [
        ("usr_a", "Ada <ada@example.com>", 2, "user"),
        ("bot", "bot", 1, ""),
    ]
    assert [(v.value, v.count) for v in again.values] == [("t", 3)]
    assert len(app.seen) == 2  # the 404 is remembered: asked once


def test_sync_pager_from_a_thread(server: tuple[str, Recorder], sample_store: Any) -> None:
    url, _ = server
    out: dict[str, Any] = {}

    def worker() -> None:
        with SyncRemoteClient(url, token=TOKEN, page_size=3) as client:
            pager = client.pager(Query(text="invoice"), now=NOW)
            pager.first_page()
            pager.prefetch()
            pager.next_page()
            out["ids"] = [e["id"] for e in pager.events]
            out["facets"] = pager.facets("event_type").source

    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    assert out["ids"] == store_ids(sample_store, Query(text="invoice"))[:6]
    assert out["facets"] == "server"


# -- settings, TLS, plain http -------------------------------------------------------------


def test_plain_http_warning() -> None:
    warning = plain_http_warning("http://audit.example.com/api/audit-logs", True)
    assert warning is not None and "plain http to audit.example.com" in warning
    assert plain_http_warning("https://audit.example.com/x", True) is None
    assert plain_http_warning("http://audit.example.com/x", False) is None
    for host in ("127.0.0.1", "localhost", "[::1]", "127.3.4.5"):
        assert plain_http_warning(f"http://{host}:8077/audit-logs", True) is None


def test_plain_http_warning_on_the_command_line(
    env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No traffic leaves the machine: the client's transport is a mock for this one host."""
    import audit_tui.remote.sync as sync_mod

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": [], "next": None, "has_more": False, "total": 7})

    real = sync_mod.RemoteClient
    monkeypatch.setattr(
        sync_mod,
        "RemoteClient",
        lambda url, **kw: real(url, transport=httpx.MockTransport(handler), **kw),
    )
    assert main(["query", "http://audit.example.com/api/audit-logs", "--count"]) == 0
    out, err = capsys.readouterr()
    assert out == "7\n"
    assert "warning: sending the token over plain http to audit.example.com" in err
    assert TOKEN not in out + err
    assert seen[0].url.host == "audit.example.com"


def test_ca_bundle_goes_to_httpx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("not parsed here")
    contexts: list[dict[str, Any]] = []
    sentinel = object()

    def fake_context(**kwargs: Any) -> Any:
        contexts.append(kwargs)
        return sentinel

    monkeypatch.setattr(client_mod.ssl, "create_default_context", fake_context)
    made: list[dict[str, Any]] = []

    class Spy:
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

        async def aclose(self) -> None:
            pass

    monkeypatch.setattr(client_mod.httpx, "AsyncClient", Spy)
    client = RemoteClient("https://audit.example.com/x", ca_bundle=bundle, timeout=3)
    client._client()
    assert contexts == [{"cafile": str(bundle)}]
    assert made[0]["verify"] is sentinel and made[0]["timeout"] == httpx.Timeout(3)
    asyncio.run(client.aclose())
    monkeypatch.undo()
    default = client_mod.tls_verify(None)  # verification on by default
    assert default.verify_mode == ssl.CERT_REQUIRED and default.check_hostname
    assert RemoteClient("https://audit.example.com/x")._verify is default


def test_ca_bundle_that_does_not_exist(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["query", "https://audit.example.com/x", "--ca-bundle", "/nope/ca.pem"])
    assert code == 2 and "CA bundle /nope/ca.pem: no such file" in capsys.readouterr().err


def test_token_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = tmp_path / "t"
    token_file.write_text(f"  {TOKEN}\n")
    s = resolve_settings("https://h/x", token_file=token_file, environ={"AUDIT_TUI_TOKEN": "env"})
    assert s.token == Secret(TOKEN) and s.token_origin == "--token-file"
    s = resolve_settings("https://h/x", environ={"AUDIT_TUI_TOKEN": TOKEN})
    assert s.token == Secret(TOKEN) and s.token_origin == "$AUDIT_TUI_TOKEN"
    assert resolve_settings("https://h/x", environ={}).token is None
    for text, error in (("", "is empty"), ("two words", "spaces"), ("tök", "characters")):
        token_file.write_text(text)
        with pytest.raises(SettingsError, match=error) as info:
            resolve_settings("https://h/x", token_file=token_file, environ={})
        assert text not in str(info.value) or not text
    assert TOKEN not in repr(s) and "***" in repr(s)
    assert f"{s.token}" == "***" and TOKEN not in str(s.token)


def test_profiles(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[str, Recorder],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, rec = server
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.local]\nurl = "{url}"\ntoken_env = "LOCAL_TOKEN"\ntimeout = 5\npage_size = 7\n'
    )
    monkeypatch.setenv("AUDIT_TUI_CONFIG", str(config))
    monkeypatch.delenv("AUDIT_TUI_TOKEN", raising=False)
    monkeypatch.setenv("LOCAL_TOKEN", TOKEN)
    assert main(["query", "--profile", "local", "--limit", "10", "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 10 and err == ""
    assert [s.get("limit") for s in rec.seen] == ["7", "3"]
    monkeypatch.delenv("LOCAL_TOKEN")
    assert main(["query", "--profile", "local"]) == 2
    assert "LOCAL_TOKEN is not set" in capsys.readouterr().err
    assert main(["query", "--profile", "nope"]) == 2
    assert "no profile 'nope'" in capsys.readouterr().err
    assert main(["--profile", "nope"]) == 2


def test_remote_options_need_a_remote_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--demo", "--token-file", "x", "--count"]) == 2
    assert "--token-file is for a remote source" in capsys.readouterr().err


def test_browse_url_without_the_browser_side(
    env: None,
    server: tuple[str, Recorder],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A build without the browser's remote side (tui.app.run_remote_browser cannot be
    imported) says so in one line for `audit-tui URL`; the settings are checked first."""
    import sys

    url, _ = server
    monkeypatch.setitem(sys.modules, "audit_tui.tui.app", None)
    assert main([url]) == 1
    assert "use `audit-tui query URL" in capsys.readouterr().err
    assert main([url, "--token-file", "/nope"]) == 2


# -- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "table"])
def test_query_url_formats_match_the_file(
    env: None,
    server: tuple[str, Recorder],
    capsysbinary: pytest.CaptureFixture[bytes],
    fmt: str,
) -> None:
    url, rec = server
    args = ["--event-type", "Agent Deployed", "--search", "prod", "--format", fmt]
    assert main(["query", url, *args, "--page-size", "3"]) == 0
    remote = capsysbinary.readouterr()
    assert main(["query", "--demo", *args]) == 0
    local = capsysbinary.readouterr()
    assert remote.err == b"" and remote.out
    # the local sample is shifted to the wall clock, the served one to NOW: the same events
    # (ids are fixed) in the same order, at other times
    if fmt == "jsonl":
        ids = [orjson.loads(line)["id"] for line in remote.out.splitlines()]
        assert ids == [orjson.loads(line)["id"] for line in local.out.splitlines()]
    elif fmt == "json":
        assert [e["id"] for e in orjson.loads(remote.out)] == [
            e["id"] for e in orjson.loads(local.out)
        ]
    else:
        assert len(remote.out.splitlines()) == len(local.out.splitlines()) > 2
    assert len(rec.seen) > 1 and all(s.get("q") == "prod" for s in rec.seen)


def test_query_url_count_and_limit(
    env: None, server: tuple[str, Recorder], sample_store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url, rec = server
    assert main(["query", url, "--count"]) == 0
    assert capsys.readouterr().out == f"{sample_store.total}\n"
    assert main(["query", url, "--count", "--limit", "5"]) == 0
    assert capsys.readouterr().out == "5\n"
    rec.seen.clear()
    assert main(["query", url, "--limit", "3", "--format", "jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert [s.get("limit") for s in rec.seen] == ["3"]
    assert main(["query", url, "--limit", "0", "--format", "jsonl"]) == 0
    assert capsys.readouterr().out == ""


def test_query_url_stream_failure_keeps_output(
    env: None, faults: tuple[str, FaultApp], capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = faults
    app.script(
        page([event(0), event(1)], next="c1"),
        respond(400, {"error": {"code": "invalid_cursor", "message": "cursor expired"}}),
    )
    assert main(["query", url, "--format", "jsonl"]) == 1
    out, err = capsys.readouterr()
    assert [orjson.loads(line)["id"] for line in out.splitlines()] == ["e0", "e1"]
    assert err == (
        "audit-tui: stopped after 2 events: the server rejected the paging cursor (400: cursor "
        "expired [invalid_cursor]); start again from the first page\n"
    )


FAILURES: list[tuple[str, list[Step], str]] = [
    (
        "401",
        [respond(401, {"error": {"code": "invalid_token", "message": f"bad token {TOKEN}"}})],
        "the server rejected the token (401: bad token [token] [invalid_token])",
    ),
    ("403", [respond(403, {"error": {"message": "forbidden"}})], "rejected the token (403"),
    ("503", [respond(503, {"error": {"message": "down"}})] * 4, "unavailable (503: down)"),
    ("429", [respond(429, b"", {"Retry-After": "1"})] * 4, "rate limiting (429"),
    ("timeout", [slow(0.6, page([]))] * 4, "timed out waiting"),
    ("malformed", [respond(200, b'{"data": [}')], "not valid JSON"),
    ("truncated", [respond(200, b'{"data": [{"id": ')], "truncated"),
    ("missing data", [respond(200, b'{"rows": []}')], "no `data` list"),
    ("not a list", [respond(200, b'{"data": "x"}')], "is a string, not a list"),
    (
        "cursor",
        [page([event(0)], next="c"), respond(400, {"error": {"code": "invalid_cursor"}})],
        "rejected the paging cursor",
    ),
    ("500", [respond(500, f"token={TOKEN}".encode())], "the server failed (500"),
    ("other host", [page([event(0)], next="http://example.com/x")], "another host"),
]


@pytest.mark.parametrize(("name", "steps", "message"), FAILURES, ids=[f[0] for f in FAILURES])
def test_no_failure_shows_the_token(
    env: None,
    faults: tuple[str, FaultApp],
    sleeps: list[float],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    name: str,
    steps: list[Step],
    message: str,
) -> None:
    """Every failure path, with a recognisable token: one clean line, exit 1, no token in
    stdout, stderr, logs (all loggers, DEBUG), exception messages or reprs."""
    url, app = faults
    caplog.set_level(logging.DEBUG)
    app.script(*steps)
    assert main(["query", url, "--format", "jsonl", "--timeout", "0.2"]) == 1
    out, err = capsys.readouterr()
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert TOKEN not in out and TOKEN not in err and TOKEN not in caplog.text
    assert all(s.auth == f"Bearer {TOKEN}" for s in app.seen)  # it was sent, though
    # and the exception the facade raised says the same thing
    app.script(*steps)
    client = SyncRemoteClient(url, token=TOKEN, timeout=0.2)
    try:
        with pytest.raises(RemoteError) as info:
            for _ in client.pages([]):
                pass
    finally:
        client.close()
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert TOKEN not in repr(client) and TOKEN not in caplog.text


def test_client_repr_hides_the_token() -> None:
    client = RemoteClient("https://h.example/x", token=TOKEN)
    assert repr(client) == "RemoteClient('https://h.example/x', token=set)"
    assert TOKEN not in str(vars(client))


def test_bad_urls(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "https://user:pw@h.example/x"]) == 2
    assert "user name or password" in capsys.readouterr().err
    assert main(["query", "http://"]) == 2
    with pytest.raises(SettingsError):
        RemoteClient("ftp://h/x")


@pytest.mark.parametrize("facet", ["actors", "event_types", "workspaces"])
def test_loaded_facets_count_like_a_file(sample_store: Any, tmp_path: Path, facet: str) -> None:
    """Without a facets endpoint, counts over loaded events equal a file's facets over the same
    events (values, labels, kinds and counts)."""
    from audit_tui.remote.pager import loaded_facets
    from audit_tui.sources.file import open_source

    raws = [sample_store.raw(p) for p in range(0, 3000, 3)]
    path = tmp_path / "subset.jsonl"
    path.write_bytes(b"\n".join(raws) + b"\n")
    store = open_source(str(path))
    try:
        assert store.wait(30)
        expected = store.facets(Query(), NOW).get(facet)
    finally:
        store.close()
    got = loaded_facets([orjson.loads(r) for r in raws], facet, frozenset())
    assert [(v.value, v.label, v.count, v.kind) for v in got] == [
        (v.value, v.label, v.count, v.kind) for v in expected
    ]


def test_export_from_a_url_fetches_every_matching_page(
    server: tuple[str, Recorder],
    sample_store: Any,
    env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`audit-tui export URL` pushes the filters to the server, fetches every page (not the
    first only) and writes the server's records unchanged, with a manifest naming the URL."""
    url, rec = server
    out = tmp_path / "deleted.jsonl"
    query = Query(event_types=frozenset({"Agent Invoked"}))
    assert (
        main(["export", url, "--event-type", "Agent Invoked", "-o", str(out), "--page-size", "100"])
        == 0
    )
    want = [sample_store.raw(int(p)) for p in sample_store.search(query, NOW).positions]
    assert len(want) > 1000  # several pages of 1000
    assert out.read_bytes().splitlines() == want
    assert len([s for s in rec.seen if s.get("cursor")]) >= 1
    assert all(s.all("event_type") == ["Agent Invoked"] for s in rec.seen)
    manifest = orjson.loads((tmp_path / "deleted.jsonl.manifest.json").read_bytes())
    assert manifest["count"] == len(want)
    assert manifest["source"] == url
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err + out.read_text() + str(manifest)


def test_export_from_a_url_with_a_bad_token_leaves_nothing(
    server: tuple[str, Recorder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = server
    monkeypatch.setenv("AUDIT_TUI_TOKEN", "not-the-token")
    monkeypatch.setenv("AUDIT_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    assert main(["export", url, "-o", str(tmp_path / "x.jsonl")]) == 1
    assert list(tmp_path.iterdir()) == []
