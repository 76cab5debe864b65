"""ClickHouse (chDB, in this process) as a source, on generated events.

    python bench/bench_clickhouse.py --count 1000000

Loads the events into a chDB database (the load rate, and the loader's peak memory: it reads
the file into the local store first), then, in a fresh process that holds only what it shows:
the first page, a facet change with all facet counts, a one-word search count, a timeline, and
that process's memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from common import DATA_DIR, Timer, add_data_options, current_rss_mb, data_file  # noqa: E402

from audit_tui.query import Query  # noqa: E402

NOW = datetime(2025, 11, 26, tzinfo=UTC)  # the generator's default end
DAY_MS = 86_400_000


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        with Timer() as t:
            fn()
        times.append(t.ms)
    return min(times)


def load(path: Path, db: Path) -> None:
    from audit_tui.clickhouse.engine import ChdbEngine
    from audit_tui.clickhouse.load import load_store
    from audit_tui.sources.file import open_source

    shutil.rmtree(db, ignore_errors=True)
    t = time.perf_counter()
    store = open_source(str(path))
    store.wait()
    read = time.perf_counter() - t
    engine = ChdbEngine(str(db))
    t = time.perf_counter()
    report = load_store(store, engine, "audit_events")
    took = time.perf_counter() - t
    print(f"read into the store: {read:.1f} s ({store.total:,} events)")
    print(
        f"load into chDB: {report.inserted:,} events in {took:.1f} s = "
        f"{report.inserted / took:,.0f} events/s (the store's read excluded)"
    )
    t = time.perf_counter()
    again = load_store(store, engine, "audit_events")
    print(f"reload (idempotent): {again.inserted} new in {time.perf_counter() - t:.1f} s")
    print(f"loader peak memory: {current_rss_mb(field='VmHWM'):.0f} MB")
    size = sum(f.stat().st_size for f in db.rglob("*") if f.is_file())
    print(f"database on disk: {size / 2**20:.0f} MB")
    store.close()
    engine.close()


def queries(db: Path) -> None:
    from audit_tui.clickhouse.engine import ChdbEngine
    from audit_tui.clickhouse.events import ClickHouseEvents

    start_rss = current_rss_mb()
    ch = ClickHouseEvents(ChdbEngine(str(db)), "audit_events")
    everything = Query()
    print(f"events in the table: {ch.total:,}")
    print(
        f"first page (50, newest first): {best(lambda: ch.page(everything, 50, None, NOW)):.0f} ms"
    )
    first = ch.page(everything, 50, None, NOW)
    print(f"next page (keyset): {best(lambda: ch.page(everything, 50, first.next, NOW)):.0f} ms")
    facets = ch.facets(everything, NOW)
    actor = facets.actors[0].value
    chosen = Query(actors=frozenset({actor}))

    def facet_change() -> None:
        ch.page(chosen, 50, None, NOW)
        ch.count(chosen, NOW)
        ch.facets(chosen, NOW)

    print(f"all facet counts, nothing selected: {best(lambda: ch.facets(everything, NOW)):.0f} ms")
    print(f"facet change (page + count + all facet counts): {best(facet_change):.0f} ms")
    for word in ("invoice", "10.0.3", "zzzz-nothing"):
        q = Query(text=word)
        ms = best(lambda q=q: ch.count(q, NOW))
        print(f"one-word search count {word!r}: {ch.count(q, NOW):,} in {ms:.0f} ms")
        print(f"  its first page: {best(lambda q=q: ch.page(q, 50, None, NOW)):.0f} ms")
    print(f"timeline (days): {best(lambda: ch.timeline(everything, DAY_MS, NOW)):.0f} ms")
    week = Query(period="7d")
    print(f"timeline (hours, 7d): {best(lambda: ch.timeline(week, 3_600_000, NOW)):.0f} ms")
    print(
        f"query process memory: {current_rss_mb():.0f} MB now, "
        f"{current_rss_mb(field='VmHWM'):.0f} MB peak (at start {start_rss:.0f} MB)"
    )
    ch.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--db", type=Path, help="the chDB directory (default: bench/out/chdb-COUNT)")
    ap.add_argument("--queries-only", action="store_true", help="query an already loaded db")
    add_data_options(ap)
    args = ap.parse_args()
    db = args.db or DATA_DIR / f"chdb-{args.count}"
    if args.queries_only:
        queries(db)
        return
    path = data_file(args, args.count)
    print(f"== {args.count:,} events from {path.name}")
    load(path, db)
    # a fresh process: its memory is what browsing the table costs
    cmd = [sys.executable, __file__, "--queries-only", "--db", str(db), "--count", str(args.count)]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
