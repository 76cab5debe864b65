"""Many small files against one big file: the load time and memory of the same events.

    python bench/bench_files.py                         # 1M events: 1 file vs 10,000 files of 100
    python bench/bench_files.py --count 100000 --files 1000
    python bench/bench_files.py --gzip                  # the small files gzipped (.jsonl.gz)

The events come from bench/gen_events.py (kept in bench/out/); the small files are cut from the
same file, 100 events each by default, in folders of 1,000 (as a bucket's day folders hold
them), and kept in bench/out/ for the next run. Each case runs in a fresh process (so the
memory is its own): the figure is the time from ``open_source`` / ``open_paths`` to the store
finished, and the peak resident memory of that process plus its loader workers (VmHWM read
from /proc once loading is done; the workers keep serving search, so they are still there).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))

from common import DATA_DIR, add_data_options, data_file  # noqa: E402

PER_FOLDER = 1000


def split(path: Path, files: int, zipped: bool) -> Path:
    """``path`` cut into ``files`` files of equal line counts (made once, then reused)."""
    lines = path.read_bytes().splitlines(keepends=True)
    per = -(-len(lines) // files)
    out = DATA_DIR / f"{path.stem}-in-{files}{'-gz' if zipped else ''}"
    done = out / ".complete"
    if done.exists():
        return out
    t = time.perf_counter()
    for n in range(files):
        folder = out / f"{n // PER_FOLDER:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        data = b"".join(lines[n * per : (n + 1) * per])
        name = f"part-{n:05d}.jsonl"
        if zipped:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data, compresslevel=1))
        else:
            (folder / name).write_bytes(data)
    done.write_text("")
    print(f"cut {len(lines):,} events into {files:,} files in {time.perf_counter() - t:.1f} s")
    return out


def status_kb(pid: int | str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def child(mode: str, path: str) -> None:
    """One measurement, in this (fresh) process: printed as one JSON line."""
    t = time.perf_counter()
    if mode == "one":
        from audit_tui.sources.file import open_source

        store = open_source(path)
    else:
        from audit_tui.sources.multi import open_paths

        store = open_paths([path])
    store.wait()
    secs = time.perf_counter() - t
    procs = getattr(store.text, "procs", [])
    pids = ["self", *(p.pid for p in procs)]
    peak = sum(status_kb(pid, "VmHWM") for pid in pids)
    print(
        json.dumps(
            {
                "seconds": secs,
                "events": store.total,
                "files": store.file_count,
                "peak_mb": peak / 1024,
                "processes": len(pids),
            }
        )
    )
    store.close()


def measure(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--gzip", action="store_true", help="gzip each small file")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each case (best is shown)")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    add_data_options(ap)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    one = data_file(a, a.count)
    many = split(one, a.files, a.gzip)
    size = one.stat().st_size
    print(f"{a.count:,} events, {size / 1e6:.0f} MB; load 1 file vs {a.files:,} files", flush=True)
    for label, mode, path in (
        ("1 file", "one", one),
        (f"{a.files:,} files" + (" (.gz)" if a.gzip else ""), "many", many),
    ):
        runs = [measure(mode, path) for _ in range(a.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(
            f"{label:>20}: {best['events']:,.0f} events in {best['seconds']:.2f} s "
            f"(runs: {times} s; {best['seconds'] / best['events'] * 1e6:.1f} µs/event), "
            f"peak {best['peak_mb']:.0f} MB over {best['processes']:.0f} processes",
            flush=True,
        )


if __name__ == "__main__":
    main()
