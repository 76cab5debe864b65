"""ClickHouse (chDB, in this process) as a source, on generated events.

    python bench/bench_clickhouse.py --count 1000000            # make bench
    python bench/bench_clickhouse.py --count 10000000 --skip-reload

1. Loads the events into a chDB database as ``audit-tui load`` does (the file read a batch at a
   time, one worker process per CPU preparing the batches): the load rate, and again to show
   that re-loading adds nothing.
2. In a fresh process that holds only what it shows: the first page, a facet change with all
   facet counts, a one-word search count, the timeline, and that process's memory.
3. The real browser in a terminal (tmux, ``audit-tui chdb:PATH``): from the command's start to
   the first rows on screen, then a facet ticked and a word searched (from the key to the new
   count in the status line), and the memory of the audit-tui process (VmRSS, its peak VmHWM,
   and how much of it is chDB's library mapped from disk) while browsing.

Numbers only; the machine's load average is printed with them (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from common import DATA_DIR, Timer, add_data_options, data_file  # noqa: E402

from audit_tui.query import Query  # noqa: E402

NOW = datetime(2025, 11, 26, tzinfo=UTC)  # the generator's default end
DAY_MS = 86_400_000
SOCKET = "audit-tui-bench-ch"


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        with Timer() as t:
            fn()
        times.append(t.ms)
    return min(times)


def load_average() -> str:
    return "load average " + " ".join(os.getloadavg().__repr__().strip("()").split(", "))


def memory(pid: int | str = "self") -> dict[str, float]:
    """VmRSS, VmHWM (the peak), RssAnon and RssFile of a process, MB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(line.split()[1]) / 1024
    return out


def said(mem: dict[str, float]) -> str:
    return (
        f"{mem['VmRSS']:.0f} MB now, peak {mem['VmHWM']:.0f} MB "
        f"({mem['RssAnon']:.0f} MB its own, {mem['RssFile']:.0f} MB mapped from files: "
        "its libraries, chDB's where loaded)"
    )


def load(path: Path, db: Path, reload: bool) -> None:
    from functools import partial

    from audit_tui.clickhouse.engine import ChdbEngine
    from audit_tui.clickhouse.load import load_records
    from audit_tui.sources.stream import line_source

    shutil.rmtree(db, ignore_errors=True)
    engine = ChdbEngine(str(db))
    lines = line_source(str(path))
    assert lines is not None
    workers = os.cpu_count() or 1
    run = partial(load_records, read_native=lines.read_native, engine=engine, table="audit_events")
    print(f"load ({workers} worker processes), {load_average()}")
    t = time.perf_counter()
    report = run((b.raws for b in lines.batches(20_000)), workers=workers)
    took = time.perf_counter() - t
    print(
        f"load into chDB: {report.inserted:,} events in {took:.1f} s = "
        f"{report.inserted / took:,.0f} events/s (reading the file included), {load_average()}"
    )
    print(f"loader memory: peak {memory()['VmHWM']:.0f} MB (the worker processes apart)")
    if reload:
        t = time.perf_counter()
        again = run((b.raws for b in lines.batches(20_000)), workers=workers)
        took = time.perf_counter() - t
        print(f"reload (idempotent): {again.inserted} new in {took:.1f} s, {load_average()}")
    size = sum(f.stat().st_size for f in db.rglob("*") if f.is_file())
    print(f"database on disk: {size / 2**20:,.0f} MB")
    engine.close()


def queries(db: Path) -> None:
    from audit_tui.clickhouse.engine import ChdbEngine
    from audit_tui.clickhouse.events import ClickHouseEvents
    from audit_tui.store import time_buckets

    print(f"queries, {load_average()}")
    start_mem = memory()
    ch = ClickHouseEvents(ChdbEngine(str(db)), "audit_events")
    everything = Query()
    print(f"events in the table: {ch.total:,}")
    print(
        f"first page (50, newest first): {best(lambda: ch.page(everything, 50, None, NOW)):.0f} ms"
    )
    first = ch.page(everything, 50, None, NOW)
    print(f"next page (keyset): {best(lambda: ch.page(everything, 50, first.next, NOW)):.0f} ms")
    with Timer() as t:
        facets = ch.facets(everything, NOW)
    print(f"all facet counts, first call (reads the facets' identities): {t.ms:.0f} ms")
    actor = facets.actors[0].value
    chosen = Query(actors=frozenset({actor}))

    def facet_change() -> None:
        ch.forget()  # the engine's time, not the answers kept
        ch.page(chosen, 50, None, NOW)
        ch.count(chosen, NOW)
        ch.facets(chosen, NOW)

    ms = best(lambda: (ch.forget(), ch.facets(everything, NOW)))
    print(f"all facet counts, nothing selected: {ms:.0f} ms")
    print(f"facet change (page + count + all facet counts): {best(facet_change):.0f} ms")
    for word in ("invoice", "alice", "10.0.3", "zzzz-nothing"):
        q = Query(text=word)
        with Timer() as once:
            n = ch.count(q, NOW)  # the first time: the word's probes of the side tables too
        ms = best(lambda q=q: (ch.forget(), ch.count(q, NOW)))
        print(
            f"one-word search count {word!r} (with its facet counts): {n:,} in {once.ms:.0f} ms "
            f"the first time, {ms:.0f} ms again"
        )
        print(f"  its first page: {best(lambda q=q: ch.page(q, 50, None, NOW)):.0f} ms")
    span = ch.time_span()
    assert span is not None

    def timeline(query: Query) -> None:
        start, step, n = time_buckets(span[0], span[1] + 1, 150)
        ch.histogram(query, start, step, n, NOW)

    ms = best(lambda: (ch.time_span(), timeline(everything)))
    print(f"timeline (150 buckets, all time, with the span): {ms:.0f} ms")
    print(f"timeline under a facet: {best(lambda: timeline(chosen)):.0f} ms")
    print(f"timeline under a word: {best(lambda: timeline(Query(text='invoice'))):.0f} ms")
    print(
        f"query process memory: {said(memory())}; before opening chDB {start_mem['VmRSS']:.0f} MB"
    )
    ch.close()


# -- the browser in a terminal ---------------------------------------------------------------


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=False
    ).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", "b")


ROW = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")
STATUS = re.compile(r"([\d,]+) events")


def status() -> str | None:
    for line in reversed(screen().splitlines()):
        m = STATUS.search(line)
        if m:
            return m.group(1)
    return None


def wait_for(test, limit: float = 60.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if test():
            return time.perf_counter() - start
        time.sleep(0.02)
    return float("nan")


def process_pid(spec: str, serve: bool = False) -> int | None:
    """The audit-tui browser on ``spec`` (``serve``: the engine's child process serving it)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        if spec.encode() not in cmd:
            continue
        if serve and b"serve" in cmd and b"audit_tui" in cmd:
            return int(entry)
        if not serve and any(b"audit-tui" in c for c in cmd[:2]):
            return int(entry)
    return None


def terminal(spec: str, size: str) -> None:
    """The browser on ``spec`` (chdb:PATH, or clickhouse://… with --table)."""
    if not shutil.which("tmux"):
        print("tmux is not installed: no terminal figures")
        return
    exe = shutil.which("audit-tui", path=os.path.dirname(sys.executable)) or "audit-tui"
    width, height = size.split("x")
    print(f"the browser in a terminal ({size}) on {spec}, {load_average()}")
    tmux("kill-server")
    start = time.perf_counter()
    cmd = f"TERM=xterm-256color {exe} {spec} --table audit_events --period all"
    tmux("new-session", "-d", "-s", "b", "-x", width, "-y", height, cmd)
    try:
        shown = wait_for(lambda: sum(1 for line in screen().splitlines() if ROW.search(line)) >= 3)
        print(
            f"first rows on screen, from the command's start: {time.perf_counter() - start:.2f} s"
        )
        if shown != shown:
            print(screen())
            return
        wait_for(lambda: status() is not None, 10)
        time.sleep(1.0)  # the facet counts and the timeline arrive after the rows
        before = status()
        tmux("send-keys", "-t", "b", "a")
        time.sleep(0.3)
        t = time.perf_counter()
        tmux("send-keys", "-t", "b", "space")
        took = wait_for(lambda: status() not in (before, None), 30)
        print(f"a facet ticked: the new count ({status()} events) after {took * 1000:.0f} ms")
        for key in ("escape", "escape", "X"):  # back to the table, every filter cleared
            tmux("send-keys", "-t", "b", key)
            time.sleep(0.3)
        wait_for(lambda: status() == before, 30)
        time.sleep(1.0)
        tmux("send-keys", "-t", "b", "/")
        before = status()
        tmux("send-keys", "-t", "b", "-l", "invoice")
        t = time.perf_counter()
        tmux("send-keys", "-t", "b", "Enter")
        took = wait_for(lambda: status() not in (before, None), 30)
        print(
            f"a word searched: the new count ({status()} events) "
            f"{(time.perf_counter() - t) * 1000 if took == took else float('nan'):.0f} ms "
            "after enter"
        )
        for _ in range(5):
            tmux("send-keys", "-t", "b", "PageDown")
            time.sleep(0.2)
        time.sleep(1.0)
        pid = process_pid(spec)
        if pid is not None:
            print(f"audit-tui process memory while browsing: {said(memory(pid))}")
        child = process_pid(spec, serve=True)
        if child is not None:
            print(f"  its child process serving the engine: {said(memory(child))}")
        print("the screen:")
        print("\n".join(screen().splitlines()[:12]))
    finally:
        tmux("kill-server")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--db", type=Path, help="the chDB directory (default: bench/out/chdb-COUNT)")
    ap.add_argument("--queries-only", action="store_true", help="query an already loaded db")
    ap.add_argument("--skip-load", action="store_true", help="use the db already loaded")
    ap.add_argument("--skip-reload", action="store_true", help="load once only")
    ap.add_argument("--size", default="160x45", help="the terminal's size (160x45)")
    add_data_options(ap)
    args = ap.parse_args()
    db = (args.db or DATA_DIR / f"chdb-{args.count}").resolve()
    if args.queries_only:
        queries(db)
        return
    if not args.skip_load:
        path = data_file(args, args.count)
        print(f"== {args.count:,} events from {path.name}")
        load(path, db, reload=not args.skip_reload)
    # a fresh process: its memory is what browsing the table costs
    cmd = [sys.executable, __file__, "--queries-only", "--db", str(db), "--count", str(args.count)]
    subprocess.run(cmd, check=True)
    terminal(f"chdb:{db}", args.size)
    # the same table behind ClickHouse's HTTP interface, in another process (the test-only
    # endpoint answering it with chDB): the browser as it runs against a server
    helper = Path(__file__).resolve().parents[1] / "tests" / "clickhouse_http.py"
    server = subprocess.Popen([sys.executable, str(helper), str(db)], stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().decode().strip()
        terminal(url.replace("http://", "clickhouse://") + "/default", args.size)
        print(f"the HTTP endpoint's process (chDB): {said(memory(server.pid))}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
