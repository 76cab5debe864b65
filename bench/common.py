"""Shared helpers for the benchmarks: data from the team's shared generator, timing, memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = Path(
    os.environ.get("AUDIT_TUI_GEN", ROOT.parent / "shared" / "bench" / "gen_events.py")
)
DATA_DIR = Path(os.environ.get("AUDIT_TUI_BENCH_DIR", "/tmp/audit-tui-bench"))


def events_file(count: int, seed: int = 42) -> Path:
    """A JSONL file of ``count`` generated events (made once, cached outside the repo)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"events-{count}-{seed}.jsonl"
    if not path.exists():
        if not GENERATOR.exists():
            sys.exit(f"generator not found at {GENERATOR}; set AUDIT_TUI_GEN")
        tmp = path.with_suffix(".tmp")
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(GENERATOR),
                "--count",
                str(count),
                "--seed",
                str(seed),
                "--out",
                str(tmp),
            ],
            check=True,
        )
        tmp.rename(path)
        print(f"generated {count:,} events in {time.perf_counter() - t:.1f} s -> {path}")
    return path


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its (finished or waited) children, MB."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def current_rss_mb(pid: int | None = None, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB (``field="VmHWM"``: its peak so far)."""
    pid = pid or os.getpid()
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


class Timer:
    def __enter__(self) -> Timer:
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = (time.perf_counter() - self.t) * 1000
