"""``audit-tui report [SOURCE] [FILTERS] -o report.html``: an audit report a person can read
(:mod:`audit_tui.report`): one self-contained HTML file, written atomically."""

from __future__ import annotations

import sys
from pathlib import Path

from audit_tui.clickhouse.engine import is_clickhouse
from audit_tui.commands.common import (
    Parser,
    UsageError,
    add_source_and_filters,
    build_query,
    clock,
    command_parser,
    err,
    is_several,
    open_for_query,
    parse_command,
    report_load,
)
from audit_tui.export import ExportError, size_text
from audit_tui.output import is_terminal
from audit_tui.remote.settings import is_url

EXAMPLES_REPORT = """\
examples:
  audit-tui report --demo -o report.html
  audit-tui report events.jsonl --period 30d --workspace Production -o prod-30d.html
  audit-tui report cloudtrail.jsonl.gz -- '-actor:scheduler type:delete' -o deletions.html

What is written: one HTML file with no scripts and nothing loaded from elsewhere (it opens
offline, from an e-mail attachment): what was asked (the source, the query with absolute UTC
times, the SHA-256 of the events: the digest of `audit-tui export --format jsonl` of the same
view), counts by event type, actor and workspace, a timeline, the privileged and destructive
actions, actions by system accounts and API keys, failed actions, configuration changes with
their diffs, and every matching event with its JSON (pages of 500, plain CSS).
The file appears under its name only when complete; an existing one is not replaced without
--force (exit code 2).
"""


def report_parser() -> Parser:
    p = command_parser(
        "audit-tui report",
        "Write an audit report (one self-contained HTML file) of the events that match.",
        EXAMPLES_REPORT,
        "report ",
    )
    add_source_and_filters(p)
    p.add_argument(
        "terms",
        nargs="*",
        metavar="QUERY",
        help="the search language after --, as in audit-tui query (docs/search.md)",
    )
    o = p.add_argument_group("output")
    o.add_argument("-o", "--output", metavar="PATH", required=True, help="the HTML file to write")
    o.add_argument("--force", action="store_true", help="replace PATH if it exists")
    return p


def run_report(argv: list[str]) -> int:
    from audit_tui.report import ReportPlan, write_report
    from audit_tui.sources.file import SourceError

    args = parse_command(report_parser(), argv, terms=True)
    if args.demo and args.source is not None:
        args.terms, args.source, args.sources = [*args.sources, *args.terms], None, []
    if args.terms:
        args.search = " ".join(t for t in [args.search, *args.terms] if t)
    if is_clickhouse(args.source) and not args.demo:
        raise UsageError(
            "report reads a file, standard input or the sample; for a ClickHouse table export "
            "the events first (audit-tui export SRC -o events.jsonl) and report on that file"
        )
    if not args.demo and is_url(args.source):
        raise UsageError(
            "report reads a file, standard input or the sample; for an audit API export it "
            "first (audit-tui export URL -o events.jsonl) and report on that file"
        )
    query = build_query(args)
    now = clock(args)
    source = tuple(args.sources) if is_several(args) else None if args.demo else args.source or ""
    plan = ReportPlan(Path(args.output), query, now, source)
    try:
        store, candidates = open_for_query(args, query)
    except SourceError as exc:
        err(str(exc))
        return 2
    show = is_terminal(sys.stderr)

    def progress(done: int, total: int) -> None:
        if show and (done == total or done % 50_000 == 0):
            sys.stderr.write(f"\rreporting {done:,} / {total:,} events…")
            sys.stderr.flush()

    try:
        store.wait()
        report_load(store, candidates)
        result = write_report(store, plan, progress=progress, force=args.force)
    except KeyboardInterrupt:
        err("report cancelled: nothing written")
        return 130
    except ExportError as exc:
        err(str(exc))
        return exc.code
    finally:
        if show:
            sys.stderr.write("\r\x1b[K")
        store.close()
    listed = ", ".join(f"{n:,} {name}" for name, n in result.sections.items())
    err(
        f"wrote a report of {result.count:,} events to {result.path} "
        f"({size_text(result.size)}, events sha256 {result.sha256[:16]}…; {listed})"
    )
    return 0
