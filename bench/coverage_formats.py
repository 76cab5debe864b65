"""How completely foreign records read: the share of records with time, event type and actor.

Opens every file under a folder the way the browser does (``open_source``: the fast index path
and the slow one, as they fall), and counts per format:

* records:  every record a file holds (loaded + skipped),
* accepted: loaded (a time and an event type were found),
* complete: loaded with an actor too (id, name or email),

by the folder a file sits in (the shared collection keeps one folder per format) and by the
format each loaded record is detected as.

    .venv/bin/python bench/coverage_formats.py [FOLDER]   (default: tests/data/formats)
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from audit_tui.query import Query  # noqa: E402
from audit_tui.sources.file import SourceError, open_source  # noqa: E402
from audit_tui.sources.formats import detect  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = (".json", ".jsonl", ".log", ".gz")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def count(folder: Path) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]], list[str]]:
    """(per folder, per detected format, files that would not open)."""
    by_folder: dict[str, Counter[str]] = {}
    by_format: dict[str, Counter[str]] = {}
    errors: list[str] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or not path.name.endswith(SUFFIXES):
            continue
        rel = path.relative_to(folder)
        group = rel.parts[0] if len(rel.parts) > 1 else "."
        try:
            store = open_source(str(path), now=NOW)
        except SourceError:
            errors.append(str(rel))
            continue
        store.wait(120)
        c = by_folder.setdefault(group, Counter())
        c["records"] += store.total + len(store.skipped)
        c["accepted"] += store.total
        for p in store.search(Query(), NOW).positions.tolist():
            row = store.row(p)
            try:
                name = detect(orjson.loads(store.raw(p)))
            except orjson.JSONDecodeError:
                name = "csv"
            f = by_format.setdefault(name, Counter())
            f["accepted"] += 1
            if row.actor_id or row.actor_name or row.actor_email:
                c["complete"] += 1
                f["complete"] += 1
    return by_folder, by_format, errors


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    - "


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("folder", nargs="?", type=Path, default=ROOT / "tests" / "data" / "formats")
    args = ap.parse_args()
    if not args.folder.is_dir():
        sys.exit(f"{args.folder}: no such folder")
    by_folder, by_format, errors = count(args.folder)
    print(f"{'folder':22s} {'records':>8s} {'accepted':>9s} {'complete':>9s}  of records")
    total: Counter[str] = Counter()
    for name, c in sorted(by_folder.items()):
        total.update(c)
        print(
            f"{name:22s} {c['records']:8d} {c['accepted']:9d} {c['complete']:9d}"
            f"  {share(c['complete'], c['records'])}"
        )
    print(
        f"{'all':22s} {total['records']:8d} {total['accepted']:9d} {total['complete']:9d}"
        f"  {share(total['complete'], total['records'])}"
    )
    print(f"\n{'detected format':22s} {'accepted':>9s} {'complete':>9s}  of accepted")
    for name, f in sorted(by_format.items()):
        print(
            f"{name:22s} {f['accepted']:9d} {f['complete']:9d}"
            f"  {share(f['complete'], f['accepted'])}"
        )
    for rel in errors:
        print(f"not readable: {rel}")


if __name__ == "__main__":
    main()
