"""The search language on the columnar index, on generated events.

    python bench/bench_lang.py --count 1000000

Prints the full count of a query of three field terms with an OR and a negation against a plain
one-word search (issue 11: within 2x), and of a path term on a value present in about 1% of the
events (issue 11: within 1 s at a million). Each figure is the best of a few runs with the
store's term cache cleared, so every run evaluates from the columns and the text index.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(__file__))

from common import Timer, add_data_options, data_file  # noqa: E402

from audit_tui.query import Query  # noqa: E402
from audit_tui.sources.file import open_source  # noqa: E402

NOW = datetime(2025, 11, 26, tzinfo=UTC)  # the generator's default end
FIELDS = "type:deleted OR type:revoked workspace:production -actor:svc-"
WORD = "agent"


def timed(store, text: str, repeat: int = 3) -> tuple[float, int]:
    best, n = float("inf"), 0
    for _ in range(repeat):
        store._text_cache = None
        store._term_masks = {}
        with Timer() as t:
            n = store.count(Query(text=text), NOW)
        best = min(best, t.ms)
    return best, n


def one_percent_ip(store) -> str:
    """A metadata.ip value held by about 1% of the events (from a sample of them)."""
    rng = random.Random(7)
    seen: Counter[str] = Counter()
    picks = [rng.randrange(store.total) for _ in range(5000)]
    for p in picks:
        ip = (store.record(p).get("metadata") or {}).get("ip")
        if isinstance(ip, str):
            seen[ip] += 1
    return min(seen, key=lambda ip: abs(seen[ip] / len(picks) - 0.01))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    add_data_options(ap)
    a = ap.parse_args()
    path = data_file(a, a.count)
    store = open_source(str(path))
    store.wait()
    store.text.wait_ready()
    if getattr(store.text, "procs", None):
        time.sleep(max(3.0, a.count / 120_000))  # workers strip keys and index grams when idle
    print(f"events: {store.total:,}")
    plain_ms, plain_n = timed(store, WORD)
    print(f"plain word {WORD!r}: full count {plain_ms:.0f} ms ({plain_n:,})")
    lang_ms, lang_n = timed(store, FIELDS)
    print(
        f"fields {FIELDS!r}: full count {lang_ms:.0f} ms ({lang_n:,}), "
        f"{lang_ms / max(plain_ms, 0.001):.2f}x the plain word"
    )
    ip = one_percent_ip(store)
    path_ms, path_n = timed(store, f"metadata.ip:{ip}")
    print(
        f"path 'metadata.ip:{ip}': full count {path_ms:.0f} ms "
        f"({path_n:,} = {100 * path_n / store.total:.2f}% of the events)"
    )
    store.close()


if __name__ == "__main__":
    main()
