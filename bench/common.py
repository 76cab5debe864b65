"""Shared helpers for the benchmarks: their data (made by bench/gen_events.py), timing, memory."""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "bench" / "gen_events.py"
# Generated files are kept here (git ignores it) and reused by later runs.
DATA_DIR = Path(os.environ.get("AUDIT_TUI_BENCH_DIR", ROOT / "bench" / "out"))


def add_data_options(ap: argparse.ArgumentParser) -> None:
    """``--events FILE`` (use a file as it is) and ``--generator SCRIPT`` (another generator)."""
    ap.add_argument("--events", type=Path, help="a JSONL file to use instead of generated events")
    ap.add_argument(
        "--generator",
        type=Path,
        default=os.environ.get("AUDIT_TUI_GEN"),
        help="a generator script taking --count --seed --out, to compare with "
        "(e.g. ../shared/bench/gen_events.py; also $AUDIT_TUI_GEN); default: bench/gen_events.py",
    )


def data_file(args: argparse.Namespace, count: int) -> Path:
    """The events the options ask for: ``--events``, or ``count`` generated ones."""
    return args.events or events_file(count, generator=args.generator)


def events_file(count: int, seed: int = 42, generator: Path | None = None) -> Path:
    """A JSONL file of ``count`` generated events (made once, then reused from DATA_DIR)."""
    generator = Path(generator or GENERATOR).resolve()
    name = f"events-{count}-{seed}"
    if generator != GENERATOR:  # another generator's files are kept apart
        name += "-" + hashlib.sha256(str(generator).encode()).hexdigest()[:8]
    path = DATA_DIR / f"{name}.jsonl"
    if not path.exists():
        if not generator.exists():
            sys.exit(f"generator not found at {generator}")
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        t = time.perf_counter()
        cmd = [sys.executable, str(generator), "--count", str(count), "--seed", str(seed)]
        subprocess.run([*cmd, "--out", str(tmp)], check=True)
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
