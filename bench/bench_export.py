"""Export a million events in each format: time, events/s and the memory of the export step.

    python bench/bench_export.py                      # 1M events, csv json jsonl, all events
    python bench/bench_export.py --search alice       # a filtered view
    python bench/bench_export.py --tracemalloc        # also a pass under tracemalloc (slower)

The data are /tmp/bench/events-1m.jsonl (made with the shared generator if missing). Loading
is done once and not timed as part of the export. Memory is measured two ways, both reported:

* RSS: the process's peak resident set (VmHWM) is reset (``echo 5 > /proc/self/clear_refs``)
  before each export; "peak over start" is VmHWM after minus VmRSS before. It includes the
  page cache of nothing (files are not mapped) but does include the store's reads.
* tracemalloc (``--tracemalloc``): the peak of Python allocations during the export, on a
  separate pass (tracemalloc slows the export several times; its time is not the figure).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from audit_tui.export import ExportPlan, export  # noqa: E402
from audit_tui.query import Query  # noqa: E402
from audit_tui.sources.file import open_source  # noqa: E402

DATA = Path("/tmp/bench/events-1m.jsonl")
GENERATOR = Path("/work/shared/bench/gen_events.py")
OUT = Path("/tmp/bench-export")


def status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def ensure_data(count: int) -> Path:
    path = DATA if count == 1_000_000 else Path(f"/tmp/bench/events-{count}.jsonl")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {count:,} events -> {path}", flush=True)
        subprocess.run(
            [sys.executable, str(GENERATOR), "--count", str(count), "--out", str(path)],
            check=True,
        )
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--search", default="")
    ap.add_argument("--formats", default="jsonl,json,csv")
    ap.add_argument("--tracemalloc", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the exported files")
    a = ap.parse_args()

    path = ensure_data(a.count)
    t = time.perf_counter()
    store = open_source(str(path))
    store.wait()
    load_s = time.perf_counter() - t
    print(
        f"loaded {store.total:,} events from {path} ({path.stat().st_size / 1e6:.0f} MB) "
        f"in {load_s:.1f} s; RSS now {status_kb('VmRSS') / 1024:.0f} MB",
        flush=True,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    query = Query(text=a.search)
    can_reset = reset_peak()
    if not can_reset:
        print("(cannot reset VmHWM here: the RSS figure is the process's peak since start)")
    for fmt in a.formats.split(","):
        out = OUT / f"export-{a.count}.{fmt}"
        plan = ExportPlan(path=out, fmt=fmt, query=query, now=now, source=str(path))
        reset_peak()
        rss0 = status_kb("VmRSS")
        t = time.perf_counter()
        r = export(store, plan, force=True)
        secs = time.perf_counter() - t
        hwm = status_kb("VmHWM")
        print(
            f"{fmt:5s}: {r.count:,} events, {r.size / 1e6:.0f} MB in {secs:.2f} s "
            f"({r.count / secs:,.0f} events/s, {r.size / 1e6 / secs:.0f} MB/s); "
            f"RSS {rss0 / 1024:.0f} MB before, peak {hwm / 1024:.0f} MB "
            f"(+{(hwm - rss0) / 1024:.1f} MB)",
            flush=True,
        )
        if a.tracemalloc:
            tracemalloc.start()
            t = time.perf_counter()
            export(store, plan, force=True)
            slow = time.perf_counter() - t
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"       tracemalloc peak of Python allocations: {peak / 1e6:.1f} MB "
                f"(pass took {slow:.1f} s under tracing)",
                flush=True,
            )
        if not a.keep:
            out.unlink(missing_ok=True)
            out.with_name(out.name + ".manifest.json").unlink(missing_ok=True)
    store.close()


if __name__ == "__main__":
    main()
