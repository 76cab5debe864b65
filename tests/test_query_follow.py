"""``audit-tui query SOURCE --follow``: a real process prints the matches, then each new
matching event as lines are appended, and ends with exit 0 on SIGINT with only whole lines
written."""

from __future__ import annotations

import csv
import io
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

ACTORS = ["usr_ada", "usr_bob"]


def event(i: int) -> bytes:
    return (
        orjson.dumps(
            {
                "id": f"evt_{i:04d}",
                "audited_at": f"2026-11-20T{8 + i // 60:02d}:{i % 60:02d}:00Z",
                "event_type": "agent.created",
                "resource": {"type": "agent", "id": f"agt_{i}", "name": f"agent {i}"},
                "workspace": {"id": "ws_prod", "name": "Production"},
                "actor": {"id": ACTORS[i % 2], "name": ACTORS[i % 2][4:].title()},
                "metadata": {"note": f"event {i}", "bell": "\u0007ring"},
            }
        )
        + b"\n"
    )


def events(start: int, stop: int) -> bytes:
    return b"".join(event(i) for i in range(start, stop))


class Lines:
    """The process's standard output, read line by line as it comes."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.buf = b""
        self.lines: list[bytes] = []

    def read_until(self, count: int, timeout: float = 30) -> list[bytes]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while len(self.lines) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"only {len(self.lines)} of {count} lines: {self.lines[-3:]}"
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                self.buf += chunk
                *whole, self.buf = self.buf.split(b"\n")
                self.lines += whole
        return self.lines

    def rest(self) -> bytes:
        assert self.proc.stdout is not None
        return self.buf + self.proc.stdout.read()


def start(*args: str, **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "audit_tui", "query", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )


def stop(proc: subprocess.Popen[bytes]) -> tuple[int, bytes]:
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(30)
    finally:
        proc.kill()
    assert proc.stderr is not None
    return code, proc.stderr.read()


def test_jsonl_prints_the_matches_then_each_new_match(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(events(0, 10))
    proc = start(str(path), "--follow", "--format", "jsonl", "--actor", "usr_ada")
    out = Lines(proc)
    first = out.read_until(5)
    assert [orjson.loads(x)["id"] for x in first] == [f"evt_{i:04d}" for i in range(0, 10, 2)]
    with open(path, "ab") as f:
        f.write(events(10, 14) + event(14)[:30])  # the last line half-written
    out.read_until(7)
    with open(path, "ab") as f:
        f.write(event(14)[30:] + b"not json\n" + events(15, 17))
    lines = out.read_until(9)
    code, stderr = stop(proc)
    assert code == 0
    assert out.rest() == b""  # nothing after the last whole line
    ids = [orjson.loads(x)["id"] for x in lines]
    assert ids == [f"evt_{i:04d}" for i in range(0, 17, 2)]  # each once, in time order
    # a pipe gets the records byte for byte (the bell too)
    assert lines[-1] + b"\n" == event(16)
    assert b"skipped 1 invalid record: line 16 invalid JSON" in stderr


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_csv_and_table_keep_their_header_and_columns(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(events(0, 2))
    proc = start(str(path), "--follow", "--format", fmt)
    out = Lines(proc)
    out.read_until(3)
    with open(path, "ab") as f:
        f.write(events(2, 5))
    lines = out.read_until(6)
    code, _ = stop(proc)
    assert code == 0 and out.rest() == b""
    text = [x.decode().rstrip("\r") for x in lines]
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO("\n".join(text))))
        assert rows[0][:2] == ["audited_at", "event_type"]
        assert [r[0] for r in rows[1:]] == [f"2026-11-20T08:{i:02d}:00.000Z" for i in range(5)]
    else:
        assert text[0].startswith("Audited At (UTC)")
        starts = [t.index("agent.created") for t in text[1:]]
        assert len(set(starts)) == 1  # the columns line up across the rows that came later
        assert [t[:19] for t in text[1:]] == [f"2026-11-20 08:{i:02d}:00" for i in range(5)]


def test_standard_input_is_followed_until_it_ends(tmp_path: Path) -> None:
    proc = start("-", "--follow", "--format", "jsonl", stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(events(0, 3))
    proc.stdin.flush()
    out = Lines(proc)
    out.read_until(3)
    proc.stdin.write(events(3, 5))
    proc.stdin.flush()
    out.read_until(5)
    proc.stdin.close()
    assert proc.wait(30) == 0
    assert [orjson.loads(x)["id"] for x in out.lines] == [f"evt_{i:04d}" for i in range(5)]


def test_follow_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(events(0, 2))
    for args, message in (
        (["--count"], b"does not go with --count"),
        (["--format", "json"], b"use --format jsonl, csv or table"),
    ):
        proc = start(str(path), "--follow", *args)
        assert proc.wait(30) == 2
        assert proc.stderr is not None and message in proc.stderr.read()
    csv_file = tmp_path / "events.csv"
    csv_file.write_text("audited_at,event_type\n2026-11-20T10:00:00Z,a.b\n")
    proc = start(str(csv_file), "--follow")
    assert proc.wait(30) == 2
    assert proc.stderr is not None and b"only JSON lines" in proc.stderr.read()
