#!/usr/bin/env python3
"""``audit-tui web`` in the system's Chromium: from opening the page to the count on screen,
and the memory of each page's process.

    python bench/bench_web.py [--count 1000000] [--runs 3] [--sample-only]

For the bundled sample and for ``--count`` generated events (``bench/gen_events.py``), each
run opens a new page (a new ``audit-tui`` process) and prints: seconds from ``page.goto`` to
the first count in the status line, and to the full count (the source loaded); then the
resident memory (RSS, and its peak) of the page's process and of the server. Nothing is
asserted: numbers only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from common import add_data_options, current_rss_mb, data_file  # noqa: E402
from webpage import Page, chromium, count_shown, web_server  # noqa: E402

NOW = "2026-11-26T15:42:00Z"


def total_of(source: list[str]) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "audit_tui", "query", *source, "--count"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def page_process(pids: list[int]) -> int:
    """The page's ``audit-tui`` (the shell textual-serve starts may exec it or wait for it)."""
    found = [pid for pid in pids if b"audit_tui" in _cmdline(pid)]
    if not found:
        raise SystemExit("no page process found")
    return found[-1]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def measure(name: str, source: list[str], runs: int, browser: object) -> None:
    total = total_of(source)
    first: list[float] = []
    full: list[float] = []
    with web_server(*source, "--now", NOW) as server:
        for _ in range(runs):
            page = Page(browser, server.url)
            start = time.perf_counter()
            page.open()
            page.wait_for(lambda s: count_shown(s) is not None, timeout=300)
            first.append(time.perf_counter() - start)
            page.wait_for(lambda s: count_shown(s) == (total, total), timeout=300)
            full.append(time.perf_counter() - start)
            pids = server.descendants()
            pid = page_process(pids)
            rss, peak = current_rss_mb(pid), current_rss_mb(pid, "VmHWM")
            tree = sum(current_rss_mb(p) for p in pids if Path(f"/proc/{p}").exists())
            server_rss = current_rss_mb(server.proc.pid)
            page.close()
            deadline = time.monotonic() + 30
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
    print(
        f"{name} ({total:,} events, {runs} pages): count shown after "
        f"{min(first):.2f}–{max(first):.2f} s (median {statistics.median(first):.2f}), "
        f"full count after {min(full):.2f}–{max(full):.2f} s "
        f"(median {statistics.median(full):.2f}); the last page's audit-tui: "
        f"RSS {rss:.0f} MB (peak {peak:.0f} MB), with the page's other processes "
        f"{tree:.0f} MB ({len(pids)} processes); the server: {server_rss:.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sample-only", action="store_true")
    add_data_options(ap)
    args = ap.parse_args()
    load = os.getloadavg()
    print(
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    with chromium() as browser:
        measure("the bundled sample", ["--demo"], args.runs, browser)
        if not args.sample_only:
            path = data_file(args, args.count)
            measure(f"{path.name}", [str(path)], args.runs, browser)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
