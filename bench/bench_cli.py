"""`audit-tui query FILE --count --search WORD` as a whole process, against jq.

    python bench/bench_cli.py --count 1000000 --word alice

jq's count matches the whole JSON text (keys included), ours matches values only, so the word
must not occur in a key name for the counts to agree (the script checks they do).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from common import add_data_options, data_file  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--word", action="append", default=[])
    ap.add_argument("--no-jq", action="store_true")
    add_data_options(ap)
    a = ap.parse_args()
    path = str(data_file(a, a.count))
    exe = shutil.which("audit-tui", path=os.path.dirname(sys.executable)) or "audit-tui"
    for word in a.word or ["alice", "invoice-bot", "timeout"]:
        ours, n_ours = timed([exe, "query", path, "--count", "--search", word])
        line = f"{a.count:,} events, --search {word!r}: audit-tui {ours:.2f} s ({n_ours})"
        if not a.no_jq and shutil.which("jq"):
            jq = f'reduce (inputs | select(tostring | test("{word}"; "i"))) as $e (0; .+1)'
            theirs, n_jq = timed(["jq", "-n", jq, path])
            agree = "same count" if n_jq == n_ours else f"DIFFERENT count: jq {n_jq}"
            line += f"; jq {theirs:.2f} s ({n_jq}); {theirs / ours:.1f}x faster, {agree}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
