"""The browser on a hostile audit API (issue 10, rows 5, 6 and 14): a scripted server on
127.0.0.1 answers each request with the next step, then the fallback. The browser keeps what it
has, says what happened in a notification, and never pages or waits for ever in silence."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

import audit_tui.remote.client as client_mod
from audit_tui.serve import serve_in_thread

from .test_remote_browser import SIZE, make_remote, screen_of, settle, table

Answer = tuple[int, bytes, dict[str, str]]


class Script:
    """A raw ASGI app: the next scripted answer, then ``fallback(n)`` for the n-th request."""

    def __init__(self) -> None:
        self.answers: deque[Answer] = deque()
        self.fallback: Any = None
        self.requests = 0

    def play(self, *answers: Answer, fallback: Any = None) -> None:
        self.answers = deque(answers)
        self.fallback = fallback
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.requests += 1
        if scope["path"].endswith("/facets"):
            status, body, headers = 404, b"{}", {}
        elif self.answers:
            status, body, headers = self.answers.popleft()
        elif self.fallback is not None:
            status, body, headers = self.fallback(self.requests)
        else:
            status, body, headers = 500, b"{}", {}
        hdrs = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        hdrs += [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": body})


def page(events: list[bytes], next: str | None = None) -> Answer:
    tail = b'"next":%s,"has_more":%s}' % (orjson.dumps(next), b"true" if next else b"false")
    return 200, b'{"data":[' + b",".join(events) + b"]," + tail, {}


def event(i: int, actor: bytes = b'"alice"') -> bytes:
    return b'{"id":"e%d","audited_at":"2026-11-20T10:00:00Z","event_type":"login","actor":%s}' % (
        i,
        actor,
    )


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[str, Script]]:
    app = Script()
    with serve_in_thread(app) as url:
        yield url, app


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def fake(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(client_mod, "backoff_sleep", fake)
    return recorded


def messages(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


async def test_an_undecodable_event_is_left_out_and_said(scripted: tuple[str, Script]) -> None:
    url, server = scripted
    server.play(page([event(0), event(1, b'"\\ud800"'), event(2)]))
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app).view.count == 2
        said = [m for m in messages(app) if "cannot be decoded" in m]
        assert len(said) == 1 and said[0].startswith(
            "skipped 1 event the server sent that cannot be decoded: page 1, event 2 of the page"
        )


async def test_endless_empty_pages_stop_and_keep_the_rows(scripted: tuple[str, Script]) -> None:
    url, server = scripted

    def empty(n: int) -> Answer:
        return page([], next=f"c{n}")

    server.play(page([event(0), event(1)], next="c0"), fallback=empty)
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(100):  # the pages load in the background: wait for the end
            await pilot.pause(0.02)
            if screen_of(app).pager.error is not None:  # type: ignore[union-attr]
                break
        await settle(pilot)
        assert table(app).view.count == 2  # kept
        assert any("50 empty pages in a row" in m for m in messages(app))
        assert app.is_running
        asked = server.requests
        await pilot.press("G")
        await settle(pilot)
        assert server.requests <= asked + 1  # no more paging for ever


async def test_a_long_retry_after_is_said(
    scripted: tuple[str, Script], sleeps: list[float]
) -> None:
    url, server = scripted
    limited = (429, b'{"error":{"message":"slow down"}}', {"Retry-After": "999999"})
    server.play(limited, page([event(0)]))
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app).view.count == 1
        assert (
            "server asks to retry in 11 days 13 h; retrying in 30 s (the longest audit-tui "
            "waits), attempt 2 of 4"
        ) in messages(app)
        assert sleeps == [30.0]
