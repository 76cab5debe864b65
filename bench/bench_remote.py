"""The remote source against a local `audit-tui serve` of many events: first page and streaming.

    python bench/bench_remote.py                       # 1M generated events (bench/out/)
    python bench/bench_remote.py --count 100000        # a smaller generated file
    python bench/bench_remote.py --events events.jsonl --page-size 100 --page-size 1000

Prints: the server's load time (waited for, not part of the client's numbers); the time to the
first page for a client that starts now (a new SyncRemoteClient in a process that has imported
audit-tui: client set-up, connection and request), unfiltered and with filters pushed down
("cold" is the first request of the run, and the first of its query on the server); the same
as a whole `audit-tui query URL --limit 100` process, next to `audit-tui query FILE --limit 100`
on the same file; and events per second streamed by `audit-tui query URL --format jsonl >
/dev/null` over every event, per page size. The 1-minute load average is printed: other work
on the machine moves these numbers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from common import add_data_options, data_file  # noqa: E402

TOKEN = "bench-token-not-secret"


def exe() -> str:
    return shutil.which("audit-tui", path=os.path.dirname(sys.executable)) or "audit-tui"


def start_server(path: Path) -> tuple[subprocess.Popen[str], str, float]:
    env = {**os.environ, "BENCH_TOKEN": TOKEN}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [exe(), "serve", str(path), "--port", "0", "--token-env", "BENCH_TOKEN"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if " at " not in line:
        proc.kill()
        sys.exit(f"serve did not start: {line!r}")
    return proc, line.split(" at ", 1)[1].split()[0], time.perf_counter() - started


def first_page_in_process(url: str, params: list[tuple[str, str]]) -> tuple[float, int, int]:
    from audit_tui.remote.sync import SyncRemoteClient

    started = time.perf_counter()
    with SyncRemoteClient(url, token=TOKEN, page_size=100) as client:
        page = client.fetch_page(params)
        took = time.perf_counter() - started
    return took, len(page), page.total or 0


def timed_cli(args: list[str], stdout: int | None = subprocess.DEVNULL) -> float:
    env = {**os.environ, "AUDIT_TUI_TOKEN": TOKEN}
    started = time.perf_counter()
    subprocess.run([exe(), *args], stdout=stdout, env=env, check=True)
    return time.perf_counter() - started


def first_byte_cli(args: list[str]) -> float:
    """Seconds from starting `audit-tui query URL …` to its first output byte."""
    env = {**os.environ, "AUDIT_TUI_TOKEN": TOKEN}
    started = time.perf_counter()
    proc = subprocess.Popen([exe(), *args], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    proc.stdout.read(1)
    took = time.perf_counter() - started
    proc.kill()
    proc.wait()
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000, help="generated events")
    ap.add_argument("--page-size", type=int, action="append", default=[])
    ap.add_argument("--repeat", type=int, default=5)
    add_data_options(ap)
    a = ap.parse_args()
    path = data_file(a, a.count)
    sizes = a.page_size or [100, 1000]

    import audit_tui.remote.sync  # noqa: F401  (imports are not the client's first page)

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    proc, url, load = start_server(path)
    try:
        print(f"serve {path.name}: ready after {load:.1f} s (load; not counted below)", flush=True)
        for label, params in (
            ("unfiltered", []),
            ("--event-type (pushed down)", [("event_type", "Agent Deleted")]),
            ("--search (pushed down)", [("q", "timeout")]),
            (
                "--since/--until + --actor",
                [
                    ("since", "2025-01-01T00:00:00.000Z"),
                    ("until", "2025-06-01T00:00:00.000Z"),
                    ("actor", "system"),
                ],
            ),
        ):
            runs = [first_page_in_process(url, params) for _ in range(a.repeat)]
            times = sorted(r[0] for r in runs)
            median = times[len(times) // 2]
            n, total = runs[0][1], runs[0][2]
            print(
                f"first page, {label}: {runs[0][0] * 1000:.1f} ms cold, median {median * 1000:.1f}"
                f" ms, best {times[0] * 1000:.1f} ms of {a.repeat} (a new client each time; "
                f"{n} events of {total:,})",
                flush=True,
            )
        whole = min(
            timed_cli(["query", url, "--limit", "100", "--format", "jsonl"]) for _ in range(3)
        )
        byte = min(first_byte_cli(["query", url, "--format", "jsonl"]) for _ in range(3))
        local = timed_cli(["query", str(path), "--limit", "100", "--format", "jsonl"])
        print(
            f"`audit-tui query URL --limit 100 --format jsonl`: {whole:.2f} s as a whole process "
            f"(the same on the file: {local:.2f} s); first byte of the unlimited stream after "
            f"{byte:.2f} s (interpreter start included)",
            flush=True,
        )
        total = first_page_in_process(url, [])[2]
        for size in sizes:
            took = timed_cli(["query", url, "--format", "jsonl", "--page-size", str(size)])
            print(
                f"streamed all {total:,} events (--page-size {size}) to /dev/null in {took:.1f} s: "
                f"{total / took:,.0f} events/s",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
