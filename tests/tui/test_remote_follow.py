"""The remote browser with F, against a real ``audit-tui serve FILE --follow`` on 127.0.0.1:
events appended to the file appear at the top, each once, with the counts; the cursor keeps
its event further down."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from audit_tui.query import Query
from audit_tui.remote.settings import RemoteSettings
from audit_tui.tui.app import RemoteApp
from audit_tui.tui.widgets.event_table import EventTable
from audit_tui.tui.widgets.status import StatusBar

SIZE = (150, 40)


def event(i: int) -> bytes:
    return (
        orjson.dumps(
            {
                "id": f"evt_{i:04d}",
                "audited_at": f"2026-11-20T10:{i // 60:02d}:{i % 60:02d}.000Z",
                "event_type": "agent.created" if i % 2 else "key.revoked",
                "resource": {"type": "agent", "id": f"agt_{i}", "name": f"agent {i}"},
                "workspace": {"id": "ws_prod", "name": "Production"},
                "actor": {"id": "usr_ada" if i % 3 else "usr_bob", "name": "x"},
            }
        )
        + b"\n"
    )


def events(start: int, stop: int) -> bytes:
    return b"".join(event(i) for i in range(start, stop))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    path = tmp_path / "app.jsonl"
    path.write_bytes(events(0, 30))
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit_tui", "serve", str(path), "--follow", "--no-auth"]
        + ["--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        fd, got = proc.stdout.fileno(), b""
        deadline = time.monotonic() + 60
        while not got.endswith(b"\n"):
            assert time.monotonic() < deadline and proc.poll() is None, got
            if select.select([fd], [], [], 1)[0]:
                got += os.read(fd, 1)
        url = got.decode().split(" at ", 1)[1].split(" ", 1)[0]
        yield url, path
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        finally:
            proc.kill()


def table(app: Any) -> EventTable:
    return app.screen.query_one(EventTable)


def status(app: Any) -> str:
    return app.screen.query_one(StatusBar).plain


def ids(app: Any) -> list[str]:
    view = table(app).view
    return [orjson.loads(view.raw(i))["id"] for i in range(view.count)]


async def wait_for(pilot: Any, done: Callable[[], bool], what: str) -> None:
    for _ in range(600):
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_f_on_an_audit_api_shows_each_new_event_once(served: tuple[str, Path]) -> None:
    url, path = served
    app = RemoteApp(
        RemoteSettings(url, timeout=5.0, page_size=100),
        Query(),
        label="audit-api (test)",
        native_clipboard=False,
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: table(app).view.count == 30, "the first page")
        assert status(app).startswith("30 events")
        await pilot.press("F")
        await wait_for(pilot, lambda: "following" in status(app), "following")
        for _ in range(5):
            await pilot.press("j")
        on = table(app).view.raw(table(app).cursor)
        with open(path, "ab") as f:
            f.write(events(30, 34))
        await wait_for(pilot, lambda: table(app).view.count == 34, "4 new rows")
        assert ids(app)[:5] == ["evt_0033", "evt_0032", "evt_0031", "evt_0030", "evt_0029"]
        assert sorted(ids(app)) == [f"evt_{i:04d}" for i in range(34)]  # each once
        assert table(app).view.raw(table(app).cursor) == on  # the cursor kept its event
        assert status(app).startswith("34 events")
        assert "following · +4" in status(app)
        await pilot.press("g")
        with open(path, "ab") as f:
            f.write(events(34, 36))
        await wait_for(pilot, lambda: table(app).view.count == 36, "2 more")
        assert table(app).cursor == 0 and ids(app)[0] == "evt_0035"  # the top rides along
        await pilot.pause(2.5)  # more polls: the overlap brings nothing twice
        assert sorted(ids(app)) == [f"evt_{i:04d}" for i in range(36)]
