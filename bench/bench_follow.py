"""Following a growing file: how fast appended events are taken in, and how soon one shows.

    python bench/bench_follow.py --count 1000000 [--rate 50000] [--seconds 10] [--markers 10]

1. **The data layer alone**: a store of ``--count`` generated events is followed
   (:mod:`audit_tui.sources.follow`) while ``--seconds`` × ``--rate`` events are appended to
   its file as fast as the disk takes them; the figure is the events taken in (indexed, in the
   text index, merged into the time order, a search extended) per second of polling.
2. **In a real terminal** (tmux, ``--size``): ``audit-tui --follow FILE`` is started on a copy
   of the file; once it shows every event, a writer appends ``--rate`` events a second for
   ``--seconds`` seconds (in 20 slices a second). Measured from outside, by reading the screen
   (``capture-pane``) the way a person would:

   - **ingest**: events per second from the first append to the status line counting every
     appended event (and how far behind it was when the writer stopped);
   - **keys while ingesting**: ``z`` (UTC/local) is pressed now and then during the ingest;
     the time until the table's header changes is the interface's answer time;
   - **append to screen**: once the writer is done, a line whose actor is a marker value is
     appended ``--markers`` times (at odd moments between polls); the time from the write to
     the marker on screen.

Medians and maxima are printed; nothing is asserted. The machine's load is printed too: the
numbers mean little on a loaded machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, os.path.dirname(__file__))

from common import add_data_options, data_file  # noqa: E402

from audit_tui.model import iso_ms, parse_time  # noqa: E402
from audit_tui.query import Query  # noqa: E402

SOCKET = "audit-tui-bench-follow"
COUNT = re.compile(r"([\d,]+)(\+?) of ([\d,]+) events")
TIME = re.compile(rb'"audited_at":"[^"]*"')


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=False
    ).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", "f")


def shown_total(text: str) -> int | None:
    for line in reversed(text.splitlines()):
        m = COUNT.search(line)
        if m:
            return int(m.group(3).replace(",", ""))
    return None


def newest_ms(path: Path) -> int:
    """The newest ``audited_at`` of a file (its last 1,000 lines: the generator writes in
    time order)."""
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - 2_000_000))
        tail = f.read().splitlines()[-1000:]
    return max(parse_time(orjson.loads(x)["audited_at"]) for x in tail if x.strip())


def appended_lines(source: Path, n: int, after_ms: int) -> list[bytes]:
    """``n`` lines of generated events (from ``source``, repeated as needed) timed one
    millisecond apart after ``after_ms``: each is newer than everything before it."""
    out: list[bytes] = []
    with open(source, "rb") as f:
        lines = [x for x in f.read(800 * n + 1_000_000).splitlines() if x.strip()][:n]
    for i in range(n):
        stamp = b'"audited_at":"' + iso_ms(after_ms + 1 + i).encode() + b'"'
        out.append(TIME.sub(stamp, lines[i % len(lines)], count=1) + b"\n")
    return out


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


# -- 1. the data layer ------------------------------------------------------------------------


def data_layer(path: Path, extra: list[bytes]) -> float:
    from audit_tui.sources.file import open_source
    from audit_tui.sources.follow import follower_for

    work = Path(tempfile.mkdtemp(prefix="audit-tui-follow-")) / "events.jsonl"
    shutil.copyfile(path, work)
    store = open_source(str(work))
    store.wait()
    store.count(Query(text="alice"))  # a search the growth extends
    follower = follower_for(store)
    with open(work, "ab") as f:
        f.write(b"".join(extra))
    start = time.perf_counter()
    got = 0
    while got < len(extra):
        got += follower.poll().events
        store.count(Query(text="alice"))  # what a view's refresh asks
    seconds = time.perf_counter() - start
    follower.close()
    store.close()
    shutil.rmtree(work.parent, ignore_errors=True)
    return len(extra) / seconds


# -- 2. in a terminal -------------------------------------------------------------------------


class Writer(threading.Thread):
    """Appends ``lines`` to ``path`` at ``rate`` lines a second, in 20 slices a second."""

    def __init__(self, path: Path, lines: list[bytes], rate: int) -> None:
        super().__init__(daemon=True)
        self.path, self.lines, self.rate = path, lines, rate
        self.started_at = 0.0
        self.ended_at = 0.0

    def run(self) -> None:
        step = max(1, self.rate // 20)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self.started_at = time.perf_counter()
        for k, i in enumerate(range(0, len(self.lines), step)):
            due = self.started_at + k / 20
            time.sleep(max(0.0, due - time.perf_counter()))
            os.write(fd, b"".join(self.lines[i : i + step]))
        self.ended_at = time.perf_counter()
        os.close(fd)


def in_terminal(
    path: Path, extra: list[bytes], rate: int, size: tuple[int, int], markers: int
) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="audit-tui-follow-")) / "events.jsonl"
    shutil.copyfile(path, work)
    base = sum(1 for _ in open(work, "rb"))
    exe = shutil.which("audit-tui", path=os.path.dirname(sys.executable)) or "audit-tui"
    tmux("kill-server")
    tmux("new-session", "-d", "-s", "f", "-x", str(size[0]), "-y", str(size[1]))
    tmux("send-keys", "-t", "f", f"{exe} --follow {work}", "Enter")
    out: dict[str, object] = {}
    deadline = time.perf_counter() + 300
    while not (shown_total(screen()) == base and "following" in screen()):
        if time.perf_counter() > deadline:
            sys.exit("the browser never showed the file: " + screen()[-400:])
        time.sleep(0.1)
    # ingest, with key presses now and then
    writer = Writer(work, extra, rate)
    writer.start()
    answers: list[float] = []
    samples: list[tuple[float, int]] = []
    want = base + len(extra)
    caught_up = float("nan")
    next_key = time.perf_counter() + 0.5
    while time.perf_counter() < deadline:
        text = screen()
        now = time.perf_counter()
        total = shown_total(text) or 0
        samples.append((now, total))
        if total >= want:
            caught_up = now
            break
        if now >= next_key and writer.is_alive():
            answers.append(key_answer())
            next_key = time.perf_counter() + 1.0
        time.sleep(0.05)
    writer.join()
    first = writer.started_at
    out["appended per s (the writer)"] = len(extra) / max(1e-9, writer.ended_at - first)
    out["ingested per s (append start to all counted)"] = len(extra) / max(1e-9, caught_up - first)
    behind = [want - t for s, t in samples if s >= writer.ended_at]
    out["behind when the writer stopped (events)"] = behind[0] if behind else 0
    out["caught up after the writer stopped (s)"] = caught_up - writer.ended_at
    out["key answer while ingesting (median / max s)"] = (
        (statistics.median(answers), max(answers)) if answers else (float("nan"),) * 2
    )
    # append to screen, one marker at a time
    delays = []
    last = parse_time(orjson.loads(extra[-1])["audited_at"])
    template = orjson.loads(extra[-1])
    for k in range(markers):
        time.sleep(0.9 + 0.13 * k)  # odd moments between the polls
        marker = f"MARK{k:03d}X"
        record = dict(template, audited_at=iso_ms(last + 1000 * (k + 1)), id=f"evt_mark_{k}")
        record["actor"] = {"type": "user", "id": marker, "name": marker}
        t = time.perf_counter()
        with open(work, "ab") as f:
            f.write(orjson.dumps(record) + b"\n")
        while marker not in screen():
            if time.perf_counter() - t > 30:
                break
            time.sleep(0.01)
        delays.append(time.perf_counter() - t)
    out["append to screen (median / max s)"] = (statistics.median(delays), max(delays))
    tmux("kill-server")
    shutil.rmtree(work.parent, ignore_errors=True)
    return out


def key_answer() -> float:
    """Press ``z`` (UTC/local); seconds until the header says the other zone."""
    before = "(UTC)" in screen()
    tmux("send-keys", "-t", "f", "z")
    t = time.perf_counter()
    while time.perf_counter() - t < 10:
        text = screen()
        if ("(UTC)" in text) != before:
            return time.perf_counter() - t
        time.sleep(0.01)
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000, help="events in the file at first")
    ap.add_argument("--rate", type=int, default=50_000, help="events appended per second")
    ap.add_argument("--seconds", type=float, default=10.0, help="how long they are appended")
    ap.add_argument("--markers", type=int, default=10, help="single lines timed to the screen")
    ap.add_argument("--size", default="200x50")
    add_data_options(ap)
    a = ap.parse_args()
    if not shutil.which("tmux"):
        sys.exit("tmux is needed (apt install tmux)")
    path = data_file(a, a.count)
    n = int(a.rate * a.seconds)
    extra = appended_lines(path, n, newest_ms(path))
    size = (int(a.size.split("x")[0]), int(a.size.split("x")[1]))
    print(f"bench_follow: {a.count:,} events, then {n:,} appended ({load_line()})")
    rate = data_layer(path, extra)
    print(f"  data layer: {rate:,.0f} events/s taken in by the follower and the store")
    for name, value in in_terminal(path, extra, a.rate, size, a.markers).items():
        if isinstance(value, tuple):
            print(f"  {name}: {value[0]:.3f} / {value[1]:.3f}")
        elif isinstance(value, float):
            print(f"  {name}: {value:,.2f}")
        else:
            print(f"  {name}: {value:,}")
    print(f"  ({load_line()})")


if __name__ == "__main__":
    main()
