"""``audit-tui load SOURCE --into chdb:PATH [--table NAME]``: insert the events of any source
audit-tui reads into a ClickHouse table, creating it if needed.

Re-loading the same events adds nothing (an event is its id plus a hash of its record).
Invalid records are reported as ``query`` reports them; progress is one line on stderr.
"""

from __future__ import annotations

import argparse
import sys

from audit_tui.commands.common import (
    add_table_option,
    command_parser,
    err,
    is_several,
    parse_command,
    report_load,
)

EXAMPLES_LOAD = """\
examples:
  audit-tui load events.jsonl --into chdb:./audit.db
  audit-tui load cloudtrail.json.gz --into chdb:./audit.db --table trail
  audit-tui load 'AWSLogs/**/*.json.gz' /var/log/kube/ --into chdb:./audit.db
  audit-tui load --demo --into chdb:./audit.db
  audit-tui load events.jsonl --into clickhouses://ada@ch.example.com/audit
  audit-tui query chdb:./audit.db --actor ada@example.com --count

TARGET is chdb:PATH, a ClickHouse database directory opened in this process (chDB), or a
server: clickhouse://[user@]host[:port]/DB (clickhouses:// for TLS), its password from
--password-file PATH, $AUDIT_TUI_CLICKHOUSE_PASSWORD_FILE or $AUDIT_TUI_CLICKHOUSE_PASSWORD.
The table's schema is in docs/clickhouse.md.
"""


def load_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "audit-tui load", "Insert the events of a source into ClickHouse.", EXAMPLES_LOAD, "load "
    )
    p.add_argument(
        "source",
        nargs="*",
        metavar="SOURCE",
        help="files (.jsonl .ndjson .json .csv .log, optionally .gz), folders, quoted globs, "
        "- for stdin; none = sample",
    )
    p.add_argument("--demo", action="store_true", help="load the bundled sample dataset")
    p.add_argument(
        "--into", required=True, metavar="TARGET", help="chdb:PATH or clickhouse://host/DB"
    )
    p.add_argument(
        "--input-format",
        metavar="NAME",
        help="read every non-native record as this format instead of detecting it",
    )
    add_table_option(p)
    return p


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rloading {done:,} / {total:,} events…")
    sys.stderr.flush()


def run_load(argv: list[str]) -> int:
    args = parse_command(load_parser(), argv)
    from audit_tui.clickhouse.engine import ClickHouseError, is_clickhouse, open_engine, table_name
    from audit_tui.clickhouse.load import load_store
    from audit_tui.sources.file import SourceError, open_source
    from audit_tui.sources.multi import open_paths

    if not is_clickhouse(args.into):
        err(
            f"--into takes chdb:PATH or clickhouse://host/DB, not {args.into!r} "
            "(see audit-tui load --help)"
        )
        return 2
    try:
        table_name(args.table)
        engine = open_engine(args.into, args.password_file)
    except ClickHouseError as exc:
        err(str(exc))
        return 2
    spec = None if args.demo else args.source
    try:
        if is_several(args):
            store = open_paths(args.sources, input_format=args.input_format)
        else:
            store = open_source(
                spec, demo=args.demo or spec is None, input_format=args.input_format
            )
    except SourceError as exc:
        engine.close()
        err(str(exc))
        return 2
    try:
        store.wait()
        report_load(store, None)
        show = _progress if sys.stderr.isatty() else None
        try:
            report = load_store(store, engine, args.table, show)
        except ClickHouseError as exc:
            err(f"{engine.label}: {exc}")
            return 1
        if show is not None:
            sys.stderr.write("\r\x1b[K")
        if report.out_of_range:
            err(
                f"skipped {report.out_of_range} events whose time ClickHouse cannot hold "
                "(before 1900 or after 2299)"
            )
        already = report.read - report.out_of_range - report.inserted
        err(
            f"loaded {report.inserted:,} new events into {engine.label} table {args.table}"
            + (f" ({already:,} already there)" if already > 0 else "")
        )
        return 1 if store.error and store.total == 0 else 0
    finally:
        store.close()
        engine.close()
