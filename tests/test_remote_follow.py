"""Following an audit API, end to end: a real ``audit-tui serve FILE --follow`` on 127.0.0.1
over a file this test appends to; a remote follower and ``audit-tui query URL --follow`` see
each new event exactly once; paging stays stable while the file grows; the poll interval backs
off while nothing arrives and honours Retry-After."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from audit_tui.query import Query
from audit_tui.remote.client import RemoteClient
from audit_tui.remote.errors import RateLimitError
from audit_tui.remote.follow import RemoteFollower
from audit_tui.remote.sync import SyncRemoteClient
from audit_tui.serve import serve_in_thread


def event(i: int, second: int | None = None) -> bytes:
    sec = i if second is None else second
    return (
        orjson.dumps(
            {
                "id": f"evt_{i:04d}",
                "audited_at": f"2026-11-20T10:{sec // 60:02d}:{sec % 60:02d}.000Z",
                "event_type": "agent.created" if i % 2 else "key.revoked",
                "resource": {"type": "agent", "id": f"agt_{i}", "name": f"agent {i}"},
                "workspace": {"id": "ws_prod", "name": "Production"},
                "actor": {"id": "usr_ada" if i % 3 else "usr_bob", "name": "x"},
                "metadata": {"n": i},
            }
        )
        + b"\n"
    )


def events(start: int, stop: int) -> bytes:
    return b"".join(event(i) for i in range(start, stop))


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def wait_line(proc: subprocess.Popen[bytes], timeout: float = 60) -> bytes:
    """The next line of the process's standard output."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    got = b""
    deadline = time.monotonic() + timeout
    while not got.endswith(b"\n"):
        left = deadline - time.monotonic()
        assert left > 0 and proc.poll() is None, f"no line from the process: {got!r}"
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 1)
            assert chunk, "the process closed its output"
            got += chunk
    return got


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real ``audit-tui serve --follow`` over a file of 10 events; (its URL, the file)."""
    path = tmp_path / "app.jsonl"
    path.write_bytes(events(0, 10))
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit_tui", "serve", str(path), "--follow", "--no-auth"]
        + ["--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        line = wait_line(proc).decode()
        assert "serving 10 events at http://127.0.0.1:" in line, line
        assert "following" in line
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        yield url, path
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        finally:
            proc.kill()


def poll_until(
    client: SyncRemoteClient, follower: RemoteFollower, want: int
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while len(seen) < want:
        assert time.monotonic() < deadline, f"only {len(seen)} of {want}: {seen[-3:]}"
        seen += client.run(follower.poll()).records
        time.sleep(0.2)
    return seen


def test_a_remote_follower_sees_each_new_event_once(served: tuple[str, Path]) -> None:
    url, path = served
    with SyncRemoteClient(url, timeout=5) as client:
        first = list(client.pages([], limit=None))
        records = [r for page in first for r in page.records]
        raws = [r for page in first for r in page.raws]
        assert len(records) == 10
        follower = RemoteFollower(client.client, Query(), known=records, known_raws=raws)
        assert client.run(follower.poll()).raws == []  # the overlap brings back only old ones
        # new events, one tying the newest second, one a little older (written late)
        append(path, event(10, second=9) + events(11, 15) + event(15, second=7))
        seen = poll_until(client, follower, 6)
        append(path, events(16, 20))
        seen += poll_until(client, follower, 4)
        time.sleep(0.5)
        seen += client.run(follower.poll()).records
    ids = [r["id"] for r in seen]
    assert sorted(ids) == [f"evt_{i:04d}" for i in range(10, 20)]  # each exactly once


def test_paging_through_a_growing_file_gives_each_event_once(served: tuple[str, Path]) -> None:
    url, path = served
    with SyncRemoteClient(url, timeout=5) as client:
        page = client.fetch_page([], None, 4)
        assert page.total == 10 and page.has_more
        append(path, events(10, 16))  # arrive at the top while the client pages down
        time.sleep(1.0)  # (the server polls its file four times a second)
        got = [r["id"] for r in page.records]
        while page.has_more:
            page = client.fetch_page([], page.next, 4)
            got += [r["id"] for r in page.records]
            assert page.total == 10  # the pages keep to what the first one answered for
        assert got == [f"evt_{i:04d}" for i in range(9, -1, -1)]
        fresh = client.fetch_page([], None, 100)
        assert fresh.total == 16


def test_query_url_follow_prints_each_new_event_once(served: tuple[str, Path]) -> None:
    url, path = served
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit_tui", "query", url, "--follow", "--format", "jsonl"]
        + ["--actor", "usr_ada"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        lines = [wait_line(proc) for _ in range(6)]  # 1 2 4 5 7 8: usr_ada
        append(path, events(10, 16))  # 10 11 13 14: usr_ada
        lines += [wait_line(proc) for _ in range(4)]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert proc.stdout is not None and proc.stdout.read() == b""
    finally:
        proc.kill()
    ids = [orjson.loads(x)["id"] for x in lines]
    assert ids == [f"evt_{i:04d}" for i in (1, 2, 4, 5, 7, 8, 10, 11, 13, 14)]


def test_the_interval_backs_off_while_nothing_arrives(served: tuple[str, Path]) -> None:
    url, path = served
    with SyncRemoteClient(url, timeout=5) as client:
        follower = RemoteFollower(client.client, Query(), interval=0.5, max_interval=4)
        assert len(client.run(follower.poll())) == 10
        assert follower.delay == 0.5
        delays = []
        for _ in range(4):
            client.run(follower.poll())
            delays.append(follower.delay)
        assert delays == [1.0, 2.0, 4.0, 4.0]
        append(path, events(10, 11))
        deadline = time.monotonic() + 30
        while not client.run(follower.poll()).raws:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert follower.delay == 0.5  # events arrived: back to the first interval


class RateLimited:
    """An ASGI app that answers 429 with ``Retry-After: 7`` once, then an empty page."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.calls += 1
        limited = self.calls == 1
        body = orjson.dumps(
            {"error": {"code": "rate_limited", "message": "slow down"}}
            if limited
            else {"data": [], "next": None, "has_more": False}
        )
        headers = [(b"content-type", b"application/json")]
        if limited:
            headers.append((b"retry-after", b"7"))
        await send(
            {"type": "http.response.start", "status": 429 if limited else 200, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})


def test_a_429_makes_the_follower_wait_what_the_server_asks() -> None:
    app = RateLimited()
    with serve_in_thread(app) as url, SyncRemoteClient(url, attempts=1) as client:
        follower = RemoteFollower(client.client, Query(), interval=1.0)
        with pytest.raises(RateLimitError):
            client.run(follower.poll())
        assert follower.delay == 7.0
        assert client.run(follower.poll()).raws == []
        assert follower.delay == 14.0  # nothing arrived: backing off on from the server's wait


def test_a_remote_follower_asks_since_the_newest_minus_the_overlap() -> None:
    client = RemoteClient("http://127.0.0.1:9/audit-logs")
    known = [orjson.loads(event(i)) for i in range(3)]
    follower = RemoteFollower(client, Query(text="agent"), known=known, overlap_ms=10_000)
    params = dict(follower.params())
    assert params == {"q": "agent", "since": "2026-11-20T09:59:52.000Z"}  # 10:00:02 - 10 s
    later = RemoteFollower(client, Query(since="2026-11-21"), known=known)
    assert dict(later.params())["since"] == "2026-11-21T00:00:00.000Z"  # the query's is later
