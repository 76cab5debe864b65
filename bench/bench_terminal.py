"""First rows on screen as the user sees them: from the command being started to the rows in a
real terminal (tmux), compared with toolong on the same file in the same run.

    python bench/bench_terminal.py --count 1000000 [--runs 3] [--size 200x50] [--toolong PATH]

A fresh tmux server runs each command in a pane of the given size; the pane is captured every
20 ms until it shows rows of the file (a line holding a time stamp of the data), and the time
from starting the command is printed. Nothing is asserted: numbers only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from common import add_data_options, data_file  # noqa: E402

SOCKET = "audit-tui-bench"
ROWS = {
    # the table's first column: "11-20 14:03:07" (or with the year)
    "audit-tui": re.compile(r"(\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d .*\S.*\S"),
    # toolong shows the JSON lines themselves
    "toolong": re.compile(r'"audited_at"'),
}


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=False
    ).stdout


def first_rows(cmd: str, pattern: re.Pattern[str], size: tuple[int, int], wait: float) -> float:
    """Seconds from starting ``cmd`` in a new pane to ``pattern`` matching 3 lines of it."""
    tmux("kill-server")
    width, height = size
    start = time.perf_counter()
    tmux("new-session", "-d", "-s", "b", "-x", str(width), "-y", str(height), cmd)
    seen = float("nan")
    while time.perf_counter() - start < wait:
        screen = tmux("capture-pane", "-p", "-t", "b")
        if sum(1 for line in screen.splitlines() if pattern.search(line)) >= 3:
            seen = time.perf_counter() - start
            break
        time.sleep(0.02)
    tmux("kill-server")
    return seen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", default="200x50")
    ap.add_argument("--toolong", default=shutil.which("tl"), help="toolong's `tl` to compare")
    add_data_options(ap)
    a = ap.parse_args()
    if not shutil.which("tmux"):
        sys.exit("tmux is needed (apt install tmux)")
    path = str(data_file(a, a.count))
    size = tuple(int(v) for v in a.size.split("x"))
    exe = shutil.which("audit-tui", path=os.path.dirname(sys.executable)) or "audit-tui"
    env = "TERM=xterm-256color"
    commands = {"audit-tui": f"{env} {exe} --period all {path}"}
    if a.toolong:
        commands["toolong"] = f"{env} {a.toolong} {path}"
    for name, cmd in commands.items():
        times = [first_rows(cmd, ROWS[name], size, 30.0) for _ in range(a.runs)]
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"{a.count:,} events, {a.size}: {name} first rows on screen "
            f"median {statistics.median(times):.2f} s ({shown})",
            flush=True,
        )


if __name__ == "__main__":
    main()
