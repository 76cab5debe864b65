"""Hostile audit API servers (issue 10, rows 4-7, 10 and 14, the remote client's side): one
bad event never costs the page, a server never keeps the client paging or waiting for ever,
and the token never shows, not even in part.

A fault server started here on 127.0.0.1 (a free port) answers each request with the next
scripted step; once the script is used up it answers with the fallback (an endless run of
empty pages, for row 6). Backoff waits are recorded, never slept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest

import audit_tui.remote.client as client_mod
from audit_tui.commands.main import main
from audit_tui.query import Query
from audit_tui.remote import (
    AuthError,
    PayloadError,
    RemoteClient,
    RemotePager,
    RemoteTimeoutError,
)
from audit_tui.remote.client import parse_page
from audit_tui.remote.settings import Secret, redact
from audit_tui.serve import serve_in_thread

TOKEN = "tok-HOSTILE-7d41c0a9e2"  # recognisable: no run of 8 of its characters may show

Step = Callable[[Any, Any, list[tuple[str, str]]], Awaitable[None]]


class Faults:
    """A raw ASGI app: each request gets the next scripted step, then ``fallback``."""

    def __init__(self) -> None:
        self.steps: deque[Step] = deque()
        self.fallback: Step | None = None
        self.requests: list[list[tuple[str, str]]] = []

    def script(self, *steps: Step, fallback: Step | None = None) -> None:
        self.steps = deque(steps)
        self.fallback = fallback
        self.requests = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        params = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
        self.requests.append(params)
        step = self.steps.popleft() if self.steps else self.fallback
        if step is None:
            step = respond(500, {"error": {"code": "unscripted"}})
        await step(receive, send, params)


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> Step:
    data = body if isinstance(body, bytes) else orjson.dumps(body)

    async def step(receive: Any, send: Any, params: list[tuple[str, str]]) -> None:
        hdrs = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        hdrs += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": data})

    return step


def endless_empty_pages() -> Step:
    """An empty page with a new cursor and has_more: true, every time."""
    count = 0

    async def step(receive: Any, send: Any, params: list[tuple[str, str]]) -> None:
        nonlocal count
        count += 1
        await respond(200, {"data": [], "next": f"c{count}", "has_more": True})(
            receive, send, params
        )

    return step


def trickle(body: bytes) -> Step:
    """Headers at once, then the body one byte a second (until the client goes away)."""

    async def step(receive: Any, send: Any, params: list[tuple[str, str]]) -> None:
        hdrs = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": hdrs})
        await receive()  # the (empty) request body
        gone = asyncio.ensure_future(receive())  # http.disconnect when the client hangs up
        try:
            for i in range(len(body)):
                if gone.done():
                    return
                last = i == len(body) - 1
                await send(
                    {"type": "http.response.body", "body": body[i : i + 1], "more_body": not last}
                )
                await asyncio.wait({gone}, timeout=1.0)
        finally:
            gone.cancel()

    return step


def event(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"e{i}", "audited_at": "2026-11-20T10:00:00Z", "event_type": "t", **extra}


def raw_event(i: int, metadata: bytes) -> bytes:
    """An event whose ``metadata`` is the JSON text given, byte for byte."""
    return b'{"id":"e%d","audited_at":"2026-11-20T10:00:00Z","event_type":"t","metadata":%s}' % (
        i,
        metadata,
    )


def raw_page(events: list[bytes], next: str | None = None, total: int | None = None) -> bytes:
    fields = b'"next":%s,"has_more":%s' % (
        orjson.dumps(next),
        b"true" if next else b"false",
    )
    if total is not None:
        fields += b',"total":%d' % total
    return b'{"data":[' + b",".join(events) + b"]," + fields + b"}"


LONE_SURROGATE = raw_event(1, b'{"name":"\\ud800"}')  # a JSON escape of a lone surrogate
BIG_INT = raw_event(1, b'{"n":' + b"1" * 100 + b"}")
HUGE_FLOAT = raw_event(1, b'{"n":1e400}')
DEPTH_600 = raw_event(1, b"[" * 600 + b"]" * 600)
DEPTH_10000 = raw_event(1, b"[" * 10000 + b"]" * 10000)


@pytest.fixture(scope="module")
def fault_server() -> Iterator[tuple[str, Faults]]:
    app = Faults()
    with serve_in_thread(app) as url:
        yield url, app


@pytest.fixture
def faults(fault_server: tuple[str, Faults]) -> tuple[str, Faults]:
    fault_server[1].script()
    return fault_server


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def fake(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(client_mod, "backoff_sleep", fake)
    return recorded


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDIT_TUI_TOKEN", TOKEN)
    monkeypatch.setenv("AUDIT_TUI_CONFIG", str(tmp_path / "no-config.toml"))


def no_token_run(text: str) -> bool:
    """True when no 8 consecutive characters of the token are in ``text``."""
    return not any(TOKEN[i : i + 8] in text for i in range(len(TOKEN) - 7))


def ids(out: str) -> list[str]:
    return [orjson.loads(line)["id"] for line in out.splitlines()]


# -- rows 4 and 5: one event the client cannot decode --------------------------------------


@pytest.mark.parametrize(
    ("bad", "kept", "why"),
    [
        (LONE_SURROGATE, False, "surrogate"),
        (HUGE_FLOAT, False, "infinity"),
        (DEPTH_10000, False, "depth"),
        (BIG_INT, True, ""),  # passed through: the JSON outputs keep its bytes
        (DEPTH_600, True, ""),
    ],
    ids=["lone-surrogate", "1e400", "depth-10000", "100-digit-int", "depth-600"],
)
def test_one_bad_event_costs_only_itself(bad: bytes, kept: bool, why: str) -> None:
    body = raw_page([raw_event(0, b"{}"), bad, raw_event(2, b"{}")], next="c1", total=9)
    page = parse_page(body)
    assert (page.next, page.has_more, page.total) == ("c1", True, 9)
    if kept:
        assert page.raws == [raw_event(0, b"{}"), bad, raw_event(2, b"{}")]
        assert page.skipped == []
        assert [r["id"] for r in page.records] == ["e0", "e1", "e2"]
    else:
        assert page.raws == [raw_event(0, b"{}"), raw_event(2, b"{}")]
        assert [r["id"] for r in page.records] == ["e0", "e2"]
        assert len(page.skipped) == 1 and page.skipped[0].startswith("event 2 of the page: ")
        assert why in page.skipped[0]


def test_a_broken_page_is_still_refused() -> None:
    """Splitting around a bad event never papers over a page that is not a page."""
    with pytest.raises(PayloadError, match="cut short"):
        parse_page(raw_page([raw_event(0, b"{}"), LONE_SURROGATE])[:-30])
    with pytest.raises(PayloadError, match="not an object"):
        parse_page(b'{"data":["\\ud800", {"id": 1}]}')


def test_query_skips_and_counts_the_lone_surrogate(
    env: None, faults: tuple[str, Faults], capsys: pytest.CaptureFixture[str]
) -> None:
    """Row 5 with `audit-tui query URL`: page 1 holds the bad event, page 2 is fine."""
    url, app = faults
    first = raw_page([raw_event(0, b"{}"), LONE_SURROGATE, raw_event(2, b"{}")], next="c1")
    second = raw_page([raw_event(3, b"{}")])
    for fmt in ("jsonl", "csv", "table"):
        app.script(respond(200, first), respond(200, second))
        assert main(["query", url, "--format", fmt]) == 0
        out, err = capsys.readouterr()
        if fmt == "jsonl":
            assert ids(out) == ["e0", "e2", "e3"]
        else:
            assert len(out.splitlines()) == 4  # the header and three rows
        lines = err.splitlines()
        assert len(lines) == 1 and "Traceback" not in err
        assert lines[0].startswith(
            "audit-tui: skipped 1 event the server sent that cannot be decoded: page 1, event 2 "
            "of the page: "
        )
        assert "surrogate" in lines[0]


def test_query_passes_through_or_skips_row_4_values(
    env: None, faults: tuple[str, Faults], capsys: pytest.CaptureFixture[str]
) -> None:
    """Row 4 with `audit-tui query URL`: a 100-digit integer, 1e400 and depth 600 in one page;
    the integer's and the deep event's bytes pass through, 1e400 is skipped and said; in CSV
    the integer and the deep value are their own text, every row written."""
    url, app = faults
    events = [
        raw_event(0, b"{}"),
        raw_event(1, b'{"n":' + b"1" * 100 + b"}"),
        raw_event(2, b'{"n":1e400}'),
        raw_event(3, b"[" * 600 + b"]" * 600),
    ]
    for fmt in ("jsonl", "csv"):
        app.script(respond(200, raw_page(events)))
        assert main(["query", url, "--format", fmt]) == 0
        out, err = capsys.readouterr()
        if fmt == "jsonl":
            assert out.encode().splitlines() == [events[0], events[1], events[3]]
        else:
            lines = out.splitlines()
            assert len(lines) == 4  # the header and three rows
            assert "1" * 100 in out  # the integer as the server wrote it
            assert "[" * 600 in out  # the deep value as its own text
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "skipped 1 event the server sent that cannot be decoded: page 1, event 3" in err


def test_export_skips_and_counts_the_lone_surrogate(
    env: None, faults: tuple[str, Faults], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url, app = faults
    app.script(
        respond(200, raw_page([raw_event(0, b"{}"), LONE_SURROGATE], next="c1")),
        respond(200, raw_page([raw_event(2, b"{}")])),
    )
    dest = tmp_path / "out.jsonl"
    assert main(["export", url, "--format", "jsonl", "-o", str(dest)]) == 0
    assert ids(dest.read_text()) == ["e0", "e2"]
    err = capsys.readouterr().err
    assert "exported 2 events" in err and err.count("\n") == 1
    assert "Skipped 1 event the server sent that cannot be decoded: page 1, event 2" in err


async def test_the_pager_skips_and_counts_the_lone_surrogate(faults: tuple[str, Faults]) -> None:
    """Row 5 in what the browser holds: the rest of the page is shown, the skip is kept."""
    url, app = faults
    app.script(
        respond(200, raw_page([raw_event(0, b"{}"), LONE_SURROGATE, DEPTH_10000], next="c1")),
        respond(200, raw_page([raw_event(3, b"{}"), HUGE_FLOAT])),
    )
    async with RemoteClient(url) as client:
        pager = RemotePager(client, Query())
        await pager.first_page()
        await pager.next_page()
        assert [e["id"] for e in pager.events] == ["e0", "e3"]
        assert len(pager.raws) == 2 and not pager.has_more and pager.total == 2
        assert [s.split(":")[0] for s in pager.skipped] == [
            "page 1, event 2 of the page",
            "page 1, event 3 of the page",
            "page 2, event 2 of the page",
        ]
        await pager.aclose()


# -- row 6: empty pages for ever -----------------------------------------------------------


async def test_endless_empty_pages_stop(faults: tuple[str, Faults]) -> None:
    url, app = faults
    app.script(respond(200, {"data": [event(0)], "next": "c0"}), fallback=endless_empty_pages())
    got: list[str] = []
    async with RemoteClient(url) as client:
        with pytest.raises(PayloadError) as info:
            async for p in client.pages([]):
                got += [r["id"] for r in p.records]
    assert got == ["e0"]  # what came first is kept
    assert str(info.value) == (
        "the server sent 50 empty pages in a row while saying there are more events; stopping"
    )
    assert len(app.requests) == 51


def test_endless_empty_pages_on_the_command_line(
    env: None, faults: tuple[str, Faults], capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = faults
    app.script(respond(200, {"data": [event(0)], "next": "c0"}), fallback=endless_empty_pages())
    assert main(["query", url, "--format", "jsonl"]) == 1
    out, err = capsys.readouterr()
    assert ids(out) == ["e0"]
    assert err == (
        "audit-tui: stopped after 1 events: the server sent 50 empty pages in a row while saying "
        "there are more events; stopping\n"
    )
    app.script(fallback=endless_empty_pages())  # no `total`: --count pages through
    assert main(["query", url, "--count"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "50 empty pages in a row" in err and err.count("\n") == 1
    assert len(app.requests) == 50


async def test_endless_empty_pages_in_the_pager(faults: tuple[str, Faults]) -> None:
    url, app = faults
    app.script(respond(200, {"data": [event(0)], "next": "c0"}), fallback=endless_empty_pages())
    async with RemoteClient(url, max_empty_pages=5) as client:
        pager = RemotePager(client, Query())
        await pager.first_page()
        with pytest.raises(PayloadError, match="5 empty pages in a row"):
            for _ in range(10):
                await pager.next_page()
        assert [e["id"] for e in pager.events] == ["e0"]  # kept
        assert not pager.has_more and pager.error is not None
        assert await pager.next_page() is None  # no more requests
        assert len(app.requests) == 6
        await pager.aclose()


# -- row 7: a server trickling one byte a second ---------------------------------------------


async def test_a_trickling_answer_hits_the_request_deadline(faults: tuple[str, Faults]) -> None:
    url, app = faults
    app.script(trickle(orjson.dumps({"data": [event(0)], "next": None})))
    started = time.monotonic()
    async with RemoteClient(url, timeout=2, attempts=1) as client:
        with pytest.raises(RemoteTimeoutError) as info:
            await client.fetch_page([])
    assert time.monotonic() - started < 4
    assert str(info.value) == (
        f"timed out waiting for {client.where}: the answer took longer than 2 s (--timeout) "
        "after 1 attempt; try a longer --timeout"
    )


def test_timeout_2_fires_on_the_command_line(
    env: None, faults: tuple[str, Faults], sleeps: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = faults
    body = orjson.dumps({"data": [event(0)], "next": None})
    app.script(*[trickle(body)] * 4)
    started = time.monotonic()
    assert main(["query", url, "--format", "jsonl", "--timeout", "2"]) == 1
    assert time.monotonic() - started < 12  # four attempts of 2 s, the waits not slept
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "the answer took longer than 2 s (--timeout) after 4 attempts" in err
    assert len(sleeps) == 3


# -- row 10: the token in a long server message ----------------------------------------------


def test_redact_runs_of_the_token() -> None:
    secret = Secret(TOKEN)
    assert redact(f"x {TOKEN} y", secret) == "x [token] y"
    assert redact(f"cut: {TOKEN[:8]}", secret) == "cut: [token]"
    assert redact(f"{TOKEN[5:17]}!", secret) == "[token]!"
    assert redact(f"{TOKEN[:7]} and {TOKEN[-7:]}", secret) == f"{TOKEN[:7]} and {TOKEN[-7:]}"
    assert redact("tok-", secret) == "tok-" and redact("anything", None) == "anything"


@pytest.mark.parametrize("tail", [TOKEN, TOKEN[:12], TOKEN[6:]], ids=["whole", "prefix", "part"])
def test_a_401_message_of_185_characters_then_the_token(
    env: None,
    faults: tuple[str, Faults],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tail: str,
) -> None:
    url, app = faults
    caplog.set_level(logging.DEBUG)
    message = "m" * 185 + tail
    app.script(respond(401, {"error": {"code": "invalid_token", "message": message}}))
    assert main(["query", url, "--format", "jsonl"]) == 1
    out, err = capsys.readouterr()
    assert err == (
        "audit-tui: the server rejected the token (401: " + "m" * 185 + "[token] [invalid_token])\n"
    )
    assert no_token_run(out + err + caplog.text)


async def test_the_401_exception_holds_no_run_of_the_token(faults: tuple[str, Faults]) -> None:
    url, app = faults
    app.script(respond(401, {"error": {"message": "m" * 185 + TOKEN}}))
    async with RemoteClient(url, token=TOKEN) as client:
        with pytest.raises(AuthError) as info:
            await client.fetch_page([])
    assert no_token_run(str(info.value)) and no_token_run(repr(info.value))


# -- row 14: 429 with Retry-After: 999999 ----------------------------------------------------


def test_a_long_retry_after_is_said_on_stderr(
    env: None, faults: tuple[str, Faults], sleeps: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = faults
    limited = respond(
        429, {"error": {"code": "rate_limited", "message": "slow down"}}, {"Retry-After": "999999"}
    )
    app.script(limited, respond(200, {"data": [event(0)], "next": None}))
    assert main(["query", url, "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    assert ids(out) == ["e0"]
    assert err == (
        "audit-tui: server asks to retry in 11 days 13 h; retrying in 30 s (the longest "
        "audit-tui waits), attempt 2 of 4\n"
    )
    assert sleeps == [30.0]
    app.script(limited, limited, limited, limited)
    sleeps.clear()
    assert main(["query", url, "--format", "jsonl"]) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert [line.rsplit(", ", 1)[1] for line in lines[:3]] == [
        "attempt 2 of 4",
        "attempt 3 of 4",
        "attempt 4 of 4",
    ]
    assert lines[3] == (
        "audit-tui: the server is rate limiting (429: slow down [rate_limited]) after 4 "
        "attempts; the server asks to wait 999999 s"
    )
    assert sleeps == [30.0, 30.0, 30.0]


async def test_short_waits_are_not_announced(
    faults: tuple[str, Faults], sleeps: list[float]
) -> None:
    url, app = faults
    told: list[str] = []
    app.script(
        respond(429, b"", {"Retry-After": "1"}),
        respond(503, b""),
        respond(200, {"data": [], "next": None}),
    )
    async with RemoteClient(url, on_wait=told.append) as client:
        await client.fetch_page([])
    assert told == [] and len(sleeps) == 2


async def test_the_wait_the_server_asks_for_is_said_when_it_is_long(
    faults: tuple[str, Faults], sleeps: list[float]
) -> None:
    url, app = faults
    told: list[str] = []
    app.script(respond(429, b"", {"Retry-After": "12"}), respond(200, {"data": [], "next": None}))
    async with RemoteClient(url, on_wait=told.append) as client:
        await client.fetch_page([])
    assert told == ["server asks to retry in 12 s; retrying in 12 s, attempt 2 of 4"]
