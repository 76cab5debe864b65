"""Load, filter, facet and search timings of the store, on generated events.

    python bench/bench_store.py --count 1000000

Prints: full load and index time, time to the first rows, memory (parent + worker processes),
facet/time changes with all facet counts, the timeline (matches per time bucket), text search
(first 100 newest, full count, narrowing).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(__file__))

from common import Timer, add_data_options, current_rss_mb, data_file  # noqa: E402

from audit_tui.query import Query  # noqa: E402
from audit_tui.sources.file import open_source  # noqa: E402
from audit_tui.store import time_buckets  # noqa: E402

NOW = datetime(2025, 11, 26, tzinfo=UTC)  # the generator's default end


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        with Timer() as t:
            fn()
        times.append(t.ms)
    return min(times)


def timelines(store, queries: dict[str, Query]) -> None:
    """The browser's timeline (matches per bucket, 160 buckets) under each query."""
    for name, q in queries.items():
        span = store.time_span()
        window = q.window(NOW)
        since = window.since if window.since is not None else span[0]
        until = window.until if window.until is not None else span[1] + 1
        start, step, buckets = time_buckets(since, until, 160)
        ms = best(lambda q=q, a=start, s=step, n=buckets: store.histogram(q, a, s, n, NOW))
        print(f"timeline, {buckets} buckets of {step // 60_000} min [{name}]: {ms:.1f} ms")


def sorts(store, queries: dict[str, Query]) -> None:
    """Sorting the matches by a column on the index (the browser's < / > / header click)."""
    for name, q in queries.items():
        positions = store.search(q, NOW).positions
        for column in ("event_type", "actor", "workspace"):
            ms = best(lambda p=positions, c=column: store.sort_positions(p, c, False), repeat=3)
            print(f"sort {len(positions):,} matches by {column} [{name}]: {ms:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    add_data_options(ap)
    a = ap.parse_args()
    path = data_file(a, a.count)
    size = path.stat().st_size
    print(f"file: {path} ({size / 1e6:.0f} MB)")

    t0 = time.perf_counter()
    store = open_source(str(path))
    first = None
    while not store.wait(0.005):
        if first is None and store.total:
            first = time.perf_counter() - t0
    load = time.perf_counter() - t0
    print(
        f"load+index: {load:.2f} s   first rows available: {first or load:.3f} s   "
        f"events: {store.total:,}"
    )
    workers = [p.pid for p in getattr(store.text, "procs", [])]
    rss = current_rss_mb() + sum(current_rss_mb(p) for p in workers)
    print(
        f"memory after load: {rss:.0f} MB (parent {current_rss_mb():.0f} MB"
        + "".join(f", worker {current_rss_mb(p):.0f} MB" for p in workers)
        + ")"
    )

    queries = {
        "all time": Query(),
        "last 7 days": Query(period="7d"),
        "event type": Query(event_types={"Agent Deleted"}),
        "2 types + ws": Query(
            event_types={"Agent Deleted", "Agent Created"}, workspaces={"Production"}
        ),
        "actor": Query(actors={"alice.garcia@acme.com"}),
        "custom range": Query(since="2025-06-01", until="2025-07-01"),
    }
    for name, q in queries.items():
        ms = best(lambda q=q: (store.search(q, NOW), store.facets(q, NOW)))
        print(
            f"facet/time change + all facet counts [{name}]: {ms:.1f} ms "
            f"({store.count(q, NOW):,} matches)"
        )

    timelines(store, queries)
    sorts(store, queries)

    def searches(label: str) -> None:
        absent_id = "3d65c37e-0000-4000-8000-0734173883cd"  # an event id that is not there
        for word in ["alice", "agent", "invoice-bot", "agt_", "timeout", "zzqx", absent_id]:
            q = Query(text=word)
            store._text_cache = None
            with Timer() as t1:
                r = store.first(q, 100, NOW)
            store._text_cache = None
            with Timer() as t2:
                full = store.search(q, NOW)
            print(
                f"search {word!r} ({label}): first 100 newest {t1.ms:.0f} ms ({r.count}), "
                f"full count {t2.ms:.0f} ms ({full.count:,})"
            )

    searches("just loaded")
    if workers:
        # the workers cut keys out and keep each part's values once, when idle
        while not store.text_settled and time.perf_counter() - t0 < 300:
            time.sleep(0.25)
            store.first(Query(text="a"), 1, NOW)  # a reply says whether they are done
        print(f"idle work done {time.perf_counter() - t0 - load:.1f} s after loading")
        rss = current_rss_mb() + sum(current_rss_mb(p) for p in workers)
        print(f"memory once idle: {rss:.0f} MB")
        searches("after the idle work")
    store._text_cache = None
    store.search(Query(text="ali"), NOW)
    with Timer() as t:
        n = store.count(Query(text="alice"), NOW)
    print(f"narrowing 'ali' -> 'alice': {t.ms:.0f} ms ({n:,})")
    with Timer() as t:
        store.facets(Query(text="alice", period="30d"), NOW)
    print(f"facet counts with a text filter (cached text): {t.ms:.1f} ms")
    rss = current_rss_mb() + sum(current_rss_mb(p) for p in workers)
    peak = current_rss_mb(field="VmHWM") + sum(current_rss_mb(p, "VmHWM") for p in workers)
    print(f"memory at end: {rss:.0f} MB; peak (sum of each process's peak): {peak:.0f} MB")
    store.close()


if __name__ == "__main__":
    main()
