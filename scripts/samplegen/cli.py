"""The writer and the command line: events to compact JSON lines, xz-compressed into the
package's data folder.

    python scripts/gen_sample.py [--out PATH] [--seed N] [--stats]
"""

from __future__ import annotations

import argparse
import json
import lzma
from collections import Counter
from pathlib import Path
from typing import Any

from .sim import SEED, generate

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "src" / "audit_tui" / "data" / "sample.jsonl.xz"


def dumps(events: list[dict[str, Any]]) -> bytes:
    lines = [json.dumps(ev, ensure_ascii=False, separators=(",", ":")) for ev in events]
    return ("\n".join(lines) + "\n").encode("utf-8")


def compress(raw: bytes) -> bytes:
    return lzma.compress(
        raw, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, preset=9 | lzma.PRESET_EXTREME
    )


def print_stats(events: list[dict[str, Any]]) -> None:
    types = Counter(e["event_type"] for e in events)
    for name, n in types.most_common():
        print(f"  {n:6d}  {name}")
    actors = Counter(e["actor"]["type"] for e in events)
    print("  actors by type:", dict(actors))
    print("  distinct actors:", len({e["actor"]["id"] for e in events}))
    print("  workspaces:", len({e["workspace"]["id"] for e in events if e["workspace"]}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the bundled demo dataset.")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--seed", type=int, default=SEED, help=f"another world (the bundled sample: {SEED})"
    )
    parser.add_argument("--stats", action="store_true", help="print a summary")
    args = parser.parse_args(argv)
    events = generate(args.seed)
    raw = dumps(events)
    data = compress(raw)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"{args.out}: {len(events)} events, {len(raw):,} bytes raw, {len(data):,} bytes xz")
    if args.stats:
        print_stats(events)
    return 0
