"""``audit-tui export [SOURCE] [FILTERS] -o PATH``: the events that match, written by
:mod:`audit_tui.export` (atomic, hashed, with a manifest); ``--verify`` checks an export.

A remote source (an audit API) is fetched page by page first, through
:func:`audit_tui.remote.exporting.export_remote`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from audit_tui.commands.common import (
    UsageError,
    add_remote_options,
    add_source_and_filters,
    add_table_option,
    build_query,
    clickhouse_source,
    clock,
    command_parser,
    err,
    fail,
    is_several,
    open_clickhouse,
    open_for_query,
    parse_command,
    report_load,
    settings_from,
    wants_remote,
    warn_transport,
)
from audit_tui.export import (
    FORMATS,
    STEP,
    ExportError,
    ExportPlan,
    ExportResult,
    check_destination,
    default_path,
    export,
    format_for_path,
    size_text,
    verify,
)
from audit_tui.output import is_terminal
from audit_tui.safe import clean

EXAMPLES_EXPORT = """\
examples:
  audit-tui export events.jsonl --actor ada@example.com --period 30d -o ada.csv
  audit-tui export events.jsonl --search "invoice-bot" --format jsonl -o invoice-bot.jsonl
  audit-tui export events.jsonl.gz --since 2026-11-01 --until 2026-11-20 -o nov.json --force
  audit-tui export events.jsonl --event-type "Agent Deleted" --format jsonl -o - | jq .id
  audit-tui export /var/log/kube/ 'old/*.log.gz' --period 7d -o week.csv   (adds file, line)
  audit-tui export --verify ada.csv.manifest.json

What is written: every event that matches (newest first). json/jsonl: the original records,
unchanged; csv: the columns of `audit-tui query --format csv`, formulas neutralised (a cell
that starts with = + - @ tab or CR gets a leading ').
Beside PATH, PATH.manifest.json records the source, the query (times absolute, UTC), the time
of export, the count, newest and oldest event, and the file's size and SHA-256.
The file is written to a temporary name and renamed when complete: a failure or Ctrl-C leaves
nothing behind. An existing PATH is not replaced without --force (exit code 2).
Exit codes: 0 ok, 2 bad usage or input (or PATH exists), 1 failure (disk full, permission;
--verify: the file does not match), 130 interrupted.
"""


def export_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "audit-tui export",
        "Export the events that match to CSV, JSON or JSON lines, with a manifest.",
        EXAMPLES_EXPORT,
        "export ",
    )
    add_source_and_filters(p)
    add_remote_options(p)
    add_table_option(p)
    o = p.add_argument_group("output")
    o.add_argument(
        "--format",
        choices=FORMATS,
        help="csv, json (one array) or jsonl (one record a line); default: from PATH's "
        "extension (.csv .json .jsonl .ndjson)",
    )
    o.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="the file to write, - for standard output (no manifest then); default: "
        "./audit-export-YYYYmmdd-HHMMSS.<ext> (UTC): -o ada.csv",
    )
    o.add_argument(
        "--force",
        action="store_true",
        help="replace PATH (and its manifest) if it exists",
    )
    o.add_argument(
        "--verify",
        metavar="MANIFEST",
        help="check a previous export instead: re-hash the file MANIFEST names and compare "
        "(exit 0 match, 1 mismatch): --verify ada.csv.manifest.json",
    )
    return p


def run_export(argv: list[str]) -> int:
    args = parse_command(export_parser(), argv)
    if args.verify:
        return run_verify(args)
    to_stdout = args.output == "-"
    fmt = _format(args, to_stdout)
    clickhouse = clickhouse_source(args)
    remote = not clickhouse and wants_remote(args)
    if remote and to_stdout:
        raise UsageError(
            "a remote source goes to a file (-o PATH); for standard output use "
            "`audit-tui query URL --format …`"
        )
    query = build_query(args)
    now = clock(args)
    path = None if to_stdout else Path(args.output) if args.output else default_path(fmt, now)
    spec = None if args.demo else args.source
    source = tuple(args.sources) if is_several(args) else spec or ""
    plan = ExportPlan(path=path, fmt=fmt, query=query, now=now, source=source)
    if path is not None:
        try:  # refuse early, before reading the source
            check_destination(path, plan, args.force)
        except ExportError as exc:
            err(str(exc))
            return exc.code
    with _terminate_as_interrupt():
        if clickhouse:
            return _export_clickhouse(args, plan)
        if remote:
            return _export_remote(args, plan)
        return _export_local(args, plan)


def run_verify(args: argparse.Namespace) -> int:
    """``--verify MANIFEST``: 0 when the file matches its manifest, 1 when not."""
    if args.sources or args.output or args.format or args.demo:
        raise UsageError("--verify takes only a manifest (see audit-tui export --help)")
    try:
        outcome = verify(args.verify)
    except ExportError as exc:
        err(str(exc))
        return exc.code
    if outcome.ok:
        print(clean(outcome.message))  # names a file: its control characters escaped
        return 0
    err(outcome.message)
    return 1


def _format(args: argparse.Namespace, to_stdout: bool) -> str:
    """--format, or the one PATH's extension asks for."""
    fmt = args.format or (format_for_path(args.output) if args.output and not to_stdout else None)
    if fmt is None:
        hint = "with -o -" if to_stdout else "for this file name" if args.output else ""
        raise UsageError(
            f"give --format csv, json or jsonl {hint}".rstrip() + " (see audit-tui export --help)"
        )
    return str(fmt)


def _exported(result: ExportResult, note: str = "") -> str:
    return (
        f"exported {result.count:,} events to {result.path} ({size_text(result.size)}, "
        f"sha256 {result.sha256[:16]}…); manifest {result.manifest_path}"
        + (f"; {note}" if note else "")
    )


def _export_remote(args: argparse.Namespace, plan: ExportPlan) -> int:
    """Every matching page of an audit API, fetched with the query sent to the server, then
    exported like a file (atomic, hashed, with its manifest)."""
    from audit_tui.remote.errors import RemoteError
    from audit_tui.remote.exporting import export_remote

    try:
        settings = settings_from(args)
        warn_transport(settings)
    except RemoteError as exc:
        return fail(exc)
    plan = replace(plan, source=settings.url)
    show = _progress_line if is_terminal(sys.stderr) else None

    def progress(stage: str, done: int, total: int | None) -> None:
        if show is not None:
            show(done, total or 0)

    try:
        outcome = export_remote(
            settings, plan, progress, threading.Event(), args.force, on_wait=err
        )
    except KeyboardInterrupt:
        _clear_progress(show)
        err("export cancelled: nothing written")
        return 130
    except ExportError as exc:
        _clear_progress(show)
        err(str(exc))
        return exc.code
    _clear_progress(show)
    err(_exported(outcome.result, outcome.note))
    return 0


def _export_clickhouse(args: argparse.Namespace, plan: ExportPlan) -> int:
    """The matches read from the engine a page at a time, written like a file's."""
    from audit_tui.clickhouse.engine import ClickHouseError
    from audit_tui.clickhouse.view import PagedView

    try:
        events = open_clickhouse(args.source, args.table, args.password_file, args.ch_profile)
    except ClickHouseError as exc:
        err(str(exc))
        return 2
    view = PagedView(events, plan.query, plan.now)
    try:
        done = _write(view, plan, args.force, ClickHouseError, lambda e: f"{events.label}: {e}")
    finally:
        view.close()
    return done if isinstance(done, int) else 0


def _export_local(args: argparse.Namespace, plan: ExportPlan) -> int:
    from audit_tui.sources.file import SourceError

    try:
        store, candidates = open_for_query(args, plan.query)
    except SourceError as exc:
        err(str(exc))
        return 2
    try:
        store.wait()
        report_load(store, candidates)
        # any other failure: no traceback for the user; the temporary file is gone
        done = _write(
            store, plan, args.force, Exception, lambda e: f"export failed: {type(e).__name__}: {e}"
        )
        if isinstance(done, int):
            return done
        return 1 if store.error and store.total == 0 else 0
    finally:
        store.close()


def _write(
    source: Any,
    plan: ExportPlan,
    force: bool,
    failure: type[Exception],
    describe: Callable[[Exception], str],
) -> ExportResult | int:
    """Export ``source`` with the progress line and the closing message: the result, or the
    exit code when it did not finish (a ``failure`` is said by ``describe``)."""
    show = _progress_line if plan.path is not None and is_terminal(sys.stderr) else None
    try:
        result = export(source, plan, progress=show, force=force)
    except KeyboardInterrupt:
        _clear_progress(show)
        err("export cancelled: nothing written" if plan.path else "export cancelled")
        return 130
    except ExportError as exc:
        _clear_progress(show)
        err(str(exc))
        return exc.code
    except BrokenPipeError:
        raise  # the reader of standard output went away: main() ends quietly
    except failure as exc:
        _clear_progress(show)
        err(f"{describe(exc)}; nothing written")
        return 1
    _clear_progress(show)
    if result.path is not None:
        err(_exported(result))
    return result


# -- the terminal ----------------------------------------------------------------------------


def _progress_line(done: int, total: int) -> None:
    if done == total or done % (STEP * 50) == 0:
        sys.stderr.write(f"\rexporting {done:,} / {total:,} events…")
        sys.stderr.flush()


def _clear_progress(show: Callable[[int, int], None] | None) -> None:
    if show is not None:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


class _terminate_as_interrupt:  # noqa: N801 - used as a context manager
    """SIGTERM raises KeyboardInterrupt while exporting, so the temporary file is removed."""

    def __enter__(self) -> None:
        self.old: Any = None
        if threading.current_thread() is threading.main_thread():
            try:
                self.old = signal.signal(signal.SIGTERM, self._raise)
            except (ValueError, OSError):
                self.old = None

    @staticmethod
    def _raise(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        if self.old is not None:
            signal.signal(signal.SIGTERM, self.old)
