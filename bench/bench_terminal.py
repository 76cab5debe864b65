"""The browser's speed as the user sees it, in a real terminal (tmux), from the command's start.

    python bench/bench_terminal.py --count 1000000 [--runs 3] [--size 200x50]
        [--words alice,olga] [--none zzqqxx,qqxxzz] [--toolong PATH]

For each run a fresh tmux server starts the installed ``audit-tui`` console script on a generated
file in a pane of the given size; the pane is captured every 20 ms and the time from starting
the command is taken when:

- **first rows**: three lines of the pane show events (a time stamp and values);
- **interface**: the whole interface is up (the search box) with rows in the table;
- **indexed**: the status line counts every event and no longer says ``loading``;
- **search**: for each word, typed into the search box at once (tmux ``send-keys -l``), the time
  from the last key to the status line showing the search's full count (no ``+``, not
  ``searching…``). The first common word and the first no-match word are searched right after
  loading, the others ``--settle`` seconds after indexing, once the workers' idle work (values
  kept once each) is done; every word is new to the process: nothing cached.
- **memory**: the proportional set size (PSS) of the whole process tree once indexed, and again
  once idle (before the later searches).

The same run times toolong (first rows; ``--toolong`` or ``tl`` on PATH) and ``grep -ci WORD``
on the file, when installed. Medians of ``--runs``; nothing is asserted: numbers only.
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
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from common import add_data_options, data_file  # noqa: E402

SOCKET = "audit-tui-bench"
ROWS = {
    # the table's first column: "11-20 14:03:07" (or with the year), then values
    "audit-tui": re.compile(r"(\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d .*\S.*\S"),
    # toolong shows the JSON lines themselves
    "toolong": re.compile(r'"audited_at"'),
}
INTERFACE = re.compile(r"Search events|Search …|/ Search")
COUNT = re.compile(r"([\d,]+)(\+?) of ([\d,]+) events")
POLL = 0.02


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=False
    ).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", "b")


def fresh_server() -> None:
    """No tmux server left from a previous run: a new session started while the old server
    shuts down can lose its server ("server exited unexpectedly") and the run its screen."""
    tmux("kill-server")
    time.sleep(0.5)


def rows_shown(text: str, pattern: re.Pattern[str]) -> bool:
    return sum(1 for line in text.splitlines() if pattern.search(line)) >= 3


def wait_for(test, start: float, limit: float) -> float:  # type: ignore[no-untyped-def]
    """Seconds from ``start`` until ``test(screen)`` holds (nan after ``limit`` seconds)."""
    while time.perf_counter() - start < limit:
        if test(screen()):
            return time.perf_counter() - start
        time.sleep(POLL)
    return float("nan")


def status_count(text: str, word: str = "") -> tuple[int, bool, int] | None:
    """(matches, complete, total) from the status line (the one naming ``word``), or None."""
    for line in reversed(text.splitlines()):
        m = COUNT.search(line)
        if m and word in line[m.end() :]:
            done = not m.group(2) and "searching" not in line
            return int(m.group(1).replace(",", "")), done, int(m.group(3).replace(",", ""))
    return None


def indexed(text: str, total: int) -> bool:
    found = status_count(text)
    return found is not None and found[2] == total and "loading" not in text


def tree_pss_mb(root: int) -> float:
    """PSS of ``root`` and its descendants, MB (shared pages counted once across them)."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def search(word: str, total: int, limit: float = 30.0) -> tuple[float, int]:
    """Type ``word`` into the (empty, focused) search box; seconds from the last key to the
    full count, and that count. Then clear the box and wait for every event to show again."""
    tmux("send-keys", "-t", "b", "-l", word)
    start = time.perf_counter()
    result: list[int] = []

    def counted(text: str) -> bool:
        found = status_count(text, word)
        if found is None or not found[1]:
            return False
        result.append(found[0])
        return True

    seconds = wait_for(counted, start, limit)
    tmux("send-keys", "-t", "b", "C-u")
    wait_for(lambda t: (status_count(t) or (0, False, 0))[:2] == (total, True), start, limit)
    return seconds, result[-1] if result else -1


def run_audit_tui(
    cmd: str,
    size: tuple[int, int],
    total: int,
    words: list[str],
    later: list[str],
    settle: float,
) -> dict[str, float]:
    fresh_server()
    width, height = size
    start = time.perf_counter()
    tmux("new-session", "-d", "-s", "b", "-x", str(width), "-y", str(height), cmd)
    out: dict[str, float] = {}
    out["first rows"] = wait_for(lambda t: rows_shown(t, ROWS["audit-tui"]), start, 30)
    out["interface"] = wait_for(
        lambda t: bool(INTERFACE.search(t)) and rows_shown(t, ROWS["audit-tui"]), start, 30
    )
    out["indexed"] = wait_for(lambda t: indexed(t, total), start, 120)
    pid = int(tmux("display", "-p", "-t", "b", "#{pane_pid}").strip() or 0)
    out["memory MB"] = tree_pss_mb(pid) if pid else float("nan")
    tmux("send-keys", "-t", "b", "/")
    time.sleep(0.3)
    for word in words:
        seconds, count = search(word, total)
        out[f"search {word!r} right after loading ({count:,})"] = seconds
    time.sleep(max(0.0, settle - (time.perf_counter() - start - out["indexed"])))
    out["memory once idle MB"] = tree_pss_mb(pid) if pid else float("nan")
    for word in later:
        seconds, count = search(word, total)
        out[f"search {word!r} later ({count:,})"] = seconds
    tmux("kill-server")
    return out


def first_rows(cmd: str, pattern: re.Pattern[str], size: tuple[int, int], wait: float) -> float:
    """Seconds from starting ``cmd`` in a new pane to ``pattern`` matching 3 lines of it."""
    fresh_server()
    width, height = size
    start = time.perf_counter()
    tmux("new-session", "-d", "-s", "b", "-x", str(width), "-y", str(height), cmd)
    seen = wait_for(lambda t: rows_shown(t, pattern), start, wait)
    tmux("kill-server")
    return seen


def grep_count(path: str, word: str) -> float:
    start = time.perf_counter()
    subprocess.run(["grep", "-ci", word, path], capture_output=True, check=False)
    return time.perf_counter() - start


def line_count(path: str) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", default="200x50")
    ap.add_argument("--words", default="alice,olga", help="common words, comma-separated")
    ap.add_argument("--none", default="zzqqxx,qqxxzz", help="words that match nothing")
    ap.add_argument("--toolong", default=shutil.which("tl"), help="toolong's `tl` to compare")
    ap.add_argument(
        "--settle",
        type=float,
        default=12.0,
        help="seconds after indexing before the 'later' searches (the idle work is done)",
    )
    add_data_options(ap)
    a = ap.parse_args()
    if not shutil.which("tmux"):
        sys.exit("tmux is needed (apt install tmux)")
    path = str(data_file(a, a.count))
    total = line_count(path)
    size = (int(a.size.split("x")[0]), int(a.size.split("x")[1]))
    exe = shutil.which("audit-tui", path=os.path.dirname(sys.executable)) or "audit-tui"
    common, none = a.words.split(","), a.none.split(",")
    right_after = [common[0], none[0]]
    later = [w for w in common[1:] + none[1:]]
    cmd = f"TERM=xterm-256color {exe} --period all {path}"
    print(f"{total:,} events ({os.path.getsize(path) / 1e6:,.0f} MB), tmux {a.size}, {a.runs} runs")
    results: dict[str, list[float]] = {}
    for _ in range(a.runs):
        for key, value in run_audit_tui(cmd, size, total, right_after, later, a.settle).items():
            results.setdefault(key, []).append(value)
    for key, values in results.items():
        unit = "" if "MB" in key else " s"
        shown = ", ".join(f"{v:.2f}" if unit else f"{v:,.0f}" for v in values)
        median = statistics.median(values)
        figure = f"{median:.2f}{unit}" if unit else f"{median:,.0f}"
        print(f"audit-tui {key}: median {figure} ({shown})", flush=True)
    if a.toolong:
        times = [
            first_rows(f"TERM=xterm-256color {a.toolong} {path}", ROWS["toolong"], size, 30)
            for _ in range(a.runs)
        ]
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"toolong first rows: median {statistics.median(times):.2f} s ({shown})")
    if shutil.which("grep"):
        for word in common + none:
            times = [grep_count(path, word) for _ in range(a.runs)]
            shown = ", ".join(f"{t:.2f}" for t in times)
            print(f"grep -ci {word!r}: median {statistics.median(times):.2f} s ({shown})")


if __name__ == "__main__":
    main()
