"""The command line: ``audit-tui [SOURCE] [FILTERS]`` (the browser) and ``audit-tui query``.

Exit codes: 0 ok, 2 bad usage or input, 1 other failures. Messages are one line on stderr;
no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

import numpy as np

from audit_tui import __version__
from audit_tui.query import PERIODS, Query, QueryError
from audit_tui.remote.cli import add_remote_options, wants_remote
from audit_tui.store import Store, describe_skipped

EXAMPLES_BROWSE = """\
examples:
  audit-tui                                   browse the bundled sample
  audit-tui events.jsonl.gz                   browse a file
  audit-tui --period 7d --event-type "Agent Deleted" events.jsonl
  kubectl logs … | audit-tui -                read standard input
  audit-tui https://host/api/v2/audit-logs    browse an audit API (token: $AUDIT_TUI_TOKEN)
  audit-tui query --help                      print matches for scripts
  audit-tui serve --help                      serve a file over the audit API (docs/api.md)
"""

EXAMPLES_QUERY = """\
examples:
  audit-tui query events.jsonl --search "invoice-bot" --period 30d
  audit-tui query events.jsonl --actor ada@example.com --actor usr_42 --format csv > ada.csv
  audit-tui query events.jsonl --since 2026-11-01 --until 2026-11-20 --count
  audit-tui query --demo --event-type "Workspace API Key Revoked" --format jsonl
  cat events.json | audit-tui query - --workspace "Finance Ops" --limit 20
  audit-tui query https://host/api/v2/audit-logs --actor ada@example.com --format jsonl
  audit-tui query --profile prod --period 7d --count

SOURCE is a file (.jsonl, .ndjson, .json, .csv, optionally .gz), - for standard input,
an http(s):// audit API endpoint (docs/api.md), or nothing / --demo for the bundled sample.
Times: ISO dates or datetimes (naive = UTC), 3d, 12h, yesterday, now. --since is inclusive,
--until exclusive; a date alone as --until means the end of that day.
"""


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see audit-tui {self._sub}--help)")

    _sub = ""


def _add_source_and_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source",
        nargs="?",
        metavar="SOURCE",
        help="a file (.jsonl .ndjson .json .csv, optionally .gz), - for stdin, an http(s):// "
        "audit API URL; none = sample",
    )
    p.add_argument("--demo", action="store_true", help="use the bundled sample dataset")
    p.add_argument(
        "--input-format",
        metavar="NAME",
        help="read every non-native record as this format instead of detecting it: "
        + ", ".join(_format_names())
        + " (default: auto)",
    )
    g = p.add_argument_group("filters (all combine with AND; a repeated option means OR)")
    g.add_argument(
        "--search",
        metavar="TEXT",
        default="",
        help='words that must all appear in some value, any case: --search "ada invoice"',
    )
    g.add_argument(
        "--period",
        choices=list(PERIODS),
        default="all",
        help="a rolling window ending now: --period 7d",
    )
    g.add_argument(
        "--since", metavar="WHEN", help="from this time on (inclusive): --since 2026-11-01"
    )
    g.add_argument(
        "--until", metavar="WHEN", help="before this time (exclusive): --until yesterday"
    )
    g.add_argument(
        "--actor",
        action="append",
        default=[],
        metavar="V",
        help="actor id, email or name (exact, any case): --actor ada@example.com",
    )
    g.add_argument(
        "--event-type",
        action="append",
        default=[],
        metavar="V",
        help='event type: --event-type "Agent Deleted"',
    )
    g.add_argument(
        "--workspace",
        action="append",
        default=[],
        metavar="V",
        help='workspace id or name: --workspace "Finance Ops"',
    )


def browse_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="audit-tui",
        description="A keyboard-driven terminal browser for audit logs.",
        epilog=EXAMPLES_BROWSE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"audit-tui {__version__}")
    _add_source_and_filters(p)
    add_remote_options(p)
    return p


def query_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="audit-tui query",
        description="Print the events that match, newest first.",
        epilog=EXAMPLES_QUERY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p._sub = "query "  # type: ignore[attr-defined]
    _add_source_and_filters(p)
    o = p.add_argument_group("output")
    o.add_argument(
        "--format",
        choices=["table", "jsonl", "json", "csv"],
        default="table",
        help="table (aligned, sanitised), jsonl/json (original records), csv",
    )
    o.add_argument("--limit", type=int, metavar="N", help="print at most N events: --limit 50")
    o.add_argument("--count", action="store_true", help="print only the number of matches")
    add_remote_options(p)
    return p


def build_query(args: argparse.Namespace) -> Query:
    return Query(
        text=args.search or "",
        period=args.period,
        since=args.since,
        until=args.until,
        actors=frozenset(args.actor),
        event_types=frozenset(args.event_type),
        workspaces=frozenset(args.workspace),
    )


def _err(message: str) -> None:
    sys.stderr.write(f"audit-tui: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] == "query":
            return run_query(args_list[1:])
        if args_list and args_list[0] == "export":
            from audit_tui.export import run_export_cli

            return run_export_cli(args_list[1:])
        if args_list and args_list[0] == "serve":
            from audit_tui.serve import run_serve

            return run_serve(args_list[1:])
        return run_browse(args_list)
    except UsageError as exc:
        _err(str(exc))
        return 2
    except QueryError as exc:
        _err(str(exc))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("AUDIT_TUI_DEBUG"):
            raise
        _err(
            f"unexpected error ({type(exc).__name__}: {exc}); "
            "run again with AUDIT_TUI_DEBUG=1 for the details, and please report it"
        )
        return 1


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def _format_names() -> list[str]:
    from audit_tui.sources.formats import NAMES

    return [n for n in NAMES if n != "native"]


def _open(args: argparse.Namespace) -> Callable[[], Store]:
    """How to open the source, again on reload (standard input is read once and kept)."""
    from audit_tui.sources.file import open_data, open_source

    spec = None if args.demo else args.source
    fmt = args.input_format
    if spec == "-":
        data = sys.stdin.buffer.read()
        return lambda: open_data(data, "stdin")
    return lambda: open_source(spec, demo=args.demo or spec is None, input_format=fmt)


def _say_format(store: Store) -> None:
    """Name a detected foreign format on stderr (native files need no word)."""
    name = store.format_name
    if name and ":" in name:
        sys.stderr.write(f"audit-tui: reading {store.label} as {name}\n")


def run_browse(argv: list[str]) -> int:
    from audit_tui.sources.file import SourceError

    args = browse_parser().parse_args(argv)
    query = build_query(args)
    if wants_remote(args):
        from audit_tui.remote.cli import run_remote_browse

        return run_remote_browse(args, query)
    opener = _open(args)
    try:
        store = opener()
    except SourceError as exc:
        _err(str(exc))
        return 2
    try:
        from audit_tui.tui.app import run_browser
    except ImportError:
        store.close()
        _err("the browser is not available in this build; use `audit-tui query`")
        return 1
    first = [store]

    def open_store() -> Store:
        if first:
            return first.pop()
        return opener()

    return run_browser(open_store, query, source=None if args.demo else args.source)


def run_query(argv: list[str]) -> int:
    from audit_tui.sources.file import SourceError

    args = query_parser().parse_args(argv)
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit takes a number ≥ 0 (see audit-tui query --help)")
    query = build_query(args)
    now = datetime.now().astimezone()
    if wants_remote(args):
        from audit_tui.remote.cli import run_remote_query

        return run_remote_query(args, query, now)
    try:
        store, line_numbers = _open_for_query(args, query)
    except SourceError as exc:
        _err(str(exc))
        return 2
    try:
        store.wait()
        _say_format(store)
        if store.error:
            _err(f"{store.label}: {store.error}")
        skipped = store.skipped
        if line_numbers is not None:
            for s in skipped:
                s.line = line_numbers[s.line - 1] if 0 < s.line <= len(line_numbers) else s.line
        if skipped:
            _err(describe_skipped(skipped))
        result = store.search(query, now)
        positions = result.positions
        if args.limit is not None:
            positions = positions[: args.limit]
        if args.count:
            print(result.count if args.limit is None else len(positions))
            return 0
        _write(store, positions, args.format)
        return 1 if store.error and store.total == 0 else 0
    finally:
        store.close()


def _open_for_query(args: argparse.Namespace, query: Query) -> tuple[Store, list[int] | None]:
    """Open the source; a plain JSON-lines file with search words is pre-filtered first."""
    from audit_tui.sources.file import open_data, open_source, sniff_file

    spec = None if args.demo else args.source
    words = query.words
    if (
        spec
        and spec != "-"
        and words
        and all(w.isascii() for w in words)
        and os.path.isfile(spec)
        and not spec.lower().endswith((".gz", ".csv", ".json"))
        and os.path.getsize(spec) > 8 * 1024 * 1024
    ):
        from pathlib import Path

        if sniff_file(Path(spec)) == "jsonl":
            from audit_tui.sources.prefilter import candidate_lines

            data, numbers = candidate_lines(spec, words)
            store = open_data(data, spec, kind="jsonl", input_format=args.input_format)
            return store, numbers
    return open_source(spec, demo=args.demo or spec is None, input_format=args.input_format), None


def _raws(store: Store, positions: Sequence[int] | np.ndarray) -> Iterator[bytes]:
    for p in positions:
        yield store.raw(int(p))


def _write(store: Store, positions: Sequence[int] | np.ndarray, fmt: str) -> None:
    from audit_tui import output

    out = sys.stdout.buffer
    if fmt == "jsonl":
        output.write_jsonl(out, _raws(store, positions))
    elif fmt == "json":
        output.write_json(out, _raws(store, positions))
    elif fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        rows = (store.row(int(p)) for p in positions)  # read in the source's format
        output.write_csv_rows(text, rows, terminal=out.isatty())
        text.detach()
    else:
        rows = (store.row(int(p)) for p in positions)
        text = io.TextIOWrapper(out, encoding="utf-8", errors="replace", write_through=True)
        for line in output.table_lines(rows):
            text.write(line + "\n")
        text.detach()
    out.flush()
