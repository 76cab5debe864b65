"""``audit-tui load SOURCE --into chdb:PATH [--table NAME]``: insert the events of any source
audit-tui reads into a ClickHouse table, creating it if needed.

SOURCE is a file of any supported format, the bundled sample, or an audit API (an http(s)://
URL or ``--profile``). A file of JSON lines (plain or gzipped) and an API are read a batch at a
time, so a source bigger than memory loads; other files are read whole first, as ``query``
reads them. Re-loading the same events adds nothing (an event is its id plus a hash of its
record). Invalid records are reported as ``query`` reports them; progress is one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audit_tui.commands.common import (
    add_remote_options,
    add_table_option,
    command_parser,
    err,
    fail,
    is_several,
    parse_command,
    remote_exit_code,
    report_load,
    settings_from,
    warn_transport,
)
from audit_tui.remote.errors import RemoteError
from audit_tui.remote.settings import RemoteSettings, is_url

if TYPE_CHECKING:
    from audit_tui.clickhouse.engine import Engine
    from audit_tui.clickhouse.load import LoadReport

EXAMPLES_LOAD = """\
examples:
  audit-tui load events.jsonl --into chdb:./audit.db
  audit-tui load cloudtrail.json.gz --into chdb:./audit.db --table trail
  audit-tui load 'AWSLogs/**/*.json.gz' /var/log/kube/ --into chdb:./audit.db
  audit-tui load --demo --into chdb:./audit.db
  audit-tui load https://host/api/v2/audit-logs --into chdb:./audit.db   (token: $AUDIT_TUI_TOKEN)
  audit-tui load --profile prod --into chdb:./audit.db
  audit-tui load events.jsonl --into clickhouses://ada@ch.example.com/audit
  audit-tui load events.jsonl --into warehouse       (a ClickHouse profile of the config file)
  audit-tui query chdb:./audit.db --actor ada@example.com --count

TARGET is chdb:PATH, a ClickHouse database directory opened in this process (chDB), a
server: clickhouse://[user@]host[:port]/DB (clickhouses:// for TLS), its password from
--password-file PATH, $AUDIT_TUI_CLICKHOUSE_PASSWORD_FILE or $AUDIT_TUI_CLICKHOUSE_PASSWORD,
or the name of a ClickHouse profile of the config file (its url, and its password_file,
password_command or password_env): --into warehouse.
The table's schema is in docs/clickhouse.md. Loading again adds only the events not there yet.
"""

BATCH = 20_000  # events per insert
PARALLEL_BYTES = 64 * 1024 * 1024  # a file this big is prepared by one worker process per CPU
PARALLEL_EVENTS = 80_000  # as many events from an API, likewise


def load_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "audit-tui load", "Insert the events of a source into ClickHouse.", EXAMPLES_LOAD, "load "
    )
    p.add_argument(
        "source",
        nargs="*",
        metavar="SOURCE",
        help="files (.jsonl .ndjson .json .csv .log, optionally .gz), folders, quoted globs, "
        "- for stdin, or one http(s):// audit API URL; none = sample",
    )
    p.add_argument("--demo", action="store_true", help="load the bundled sample dataset")
    p.add_argument(
        "--into",
        required=True,
        metavar="TARGET",
        help="chdb:PATH, clickhouse://host/DB, or a ClickHouse profile of the config file",
    )
    p.add_argument(
        "--input-format",
        metavar="NAME",
        help="read every non-native record as this format instead of detecting it",
    )
    add_table_option(p)
    add_remote_options(p)
    return p


@dataclass
class _Shown:
    """What the progress line says."""

    done: int = 0
    total: int | None = None  # events in all, when known
    part: float | None = None  # the part of the source read, when that is what is known


def _show(shown: _Shown) -> None:
    if shown.total is not None:
        line = f"loading {shown.done:,} / {shown.total:,} events…"
    elif shown.part is not None:
        line = f"loading {shown.done:,} events… {shown.part:.0%} of the file read"
    else:
        line = f"loading {shown.done:,} events…"
    sys.stderr.write(f"\r{line}\x1b[K")
    sys.stderr.flush()


def run_load(argv: list[str]) -> int:
    args = parse_command(load_parser(), argv)
    from audit_tui.clickhouse.engine import ClickHouseError, is_clickhouse, open_engine, table_name

    into_profile = None
    if not is_clickhouse(args.into):
        from audit_tui.clickhouse.engine import clickhouse_profile

        try:
            into_profile, args.into = args.into, clickhouse_profile(args.into).url
        except ClickHouseError as exc:
            err(
                f"--into takes chdb:PATH, clickhouse://host/DB or the name of a ClickHouse "
                f"profile of the config file, not {args.into!r} ({exc})"
            )
            return 2
    remote = not args.demo and (is_url(args.source) or bool(args.profile))
    settings = None
    if remote:
        try:
            settings = settings_from(args)
        except RemoteError as exc:
            return fail(exc)
        warn_transport(settings)
    try:
        table_name(args.table)
        engine = open_engine(args.into, args.password_file, into_profile)
    except ClickHouseError as exc:
        err(str(exc))
        return 2
    try:
        if settings is not None:
            return _load_remote(args, settings, engine)
        return _load_local(args, engine)
    finally:
        engine.close()


def _load_local(args: argparse.Namespace, engine: Engine) -> int:
    """A file (a batch at a time when it is JSON lines) or the sample (read whole)."""
    from audit_tui.clickhouse.engine import ClickHouseError
    from audit_tui.clickhouse.load import load_records, load_store
    from audit_tui.sources.file import SourceError, open_source
    from audit_tui.sources.stream import line_source
    from audit_tui.store import Skipped, describe_skipped

    spec = None if args.demo else args.source
    shown = _Shown()
    tty = sys.stderr.isatty()
    try:
        lines = line_source(spec, args.input_format) if spec and not is_several(args) else None
    except SourceError as exc:
        err(str(exc))
        return 2
    if lines is not None:
        skipped: list[Skipped] = []

        def chunks() -> Iterator[list[bytes]]:
            for batch in lines.batches(BATCH):
                skipped.extend(batch.skipped)
                shown.part = batch.done
                yield batch.raws

        def told(done: int) -> None:
            shown.done = done
            if tty:
                _show(shown)

        workers = (os.cpu_count() or 1) if lines.size >= PARALLEL_BYTES else 1
        try:
            report = load_records(
                chunks(), lines.read_native, engine, args.table, told, workers=workers
            )
        except SourceError as exc:
            _end_line(tty)
            err(f"{exc}; what was loaded before stays (loading again adds only the rest)")
            return 1
        except ClickHouseError as exc:
            _end_line(tty)
            err(f"{engine.label}: {exc}")
            return 1
        _end_line(tty)
        if skipped:
            err(describe_skipped(skipped))
        return _summary(report, engine.label, args.table, error=False)
    try:
        if is_several(args):  # files, folders, globs: read as one store
            from audit_tui.sources.multi import open_paths

            store = open_paths(args.sources, input_format=args.input_format)
        else:
            store = open_source(
                spec, demo=args.demo or spec is None, input_format=args.input_format
            )
    except SourceError as exc:
        err(str(exc))
        return 2
    try:
        store.wait()
        report_load(store, None)

        def progress(done: int, total: int) -> None:
            shown.done, shown.total = done, total
            if tty:
                _show(shown)

        try:
            report = load_store(store, engine, args.table, progress)
        except ClickHouseError as exc:
            _end_line(tty)
            err(f"{engine.label}: {exc}")
            return 1
        _end_line(tty)
        return _summary(
            report, engine.label, args.table, error=bool(store.error) and not store.total
        )
    finally:
        store.close()


def _load_remote(args: argparse.Namespace, settings: RemoteSettings, engine: Engine) -> int:
    """An audit API, page by page (the largest pages it gives), a batch at a time."""
    from audit_tui.clickhouse.engine import ClickHouseError
    from audit_tui.clickhouse.load import load_records
    from audit_tui.remote.client import describe_undecodable
    from audit_tui.remote.sync import SyncRemoteClient
    from audit_tui.sources.formats import normalise

    tty = sys.stderr.isatty()
    shown = _Shown()
    undecodable: list[str] = []
    try:
        client = SyncRemoteClient.from_settings(settings, on_wait=err)
    except RemoteError as exc:
        return fail(exc)
    pages = client.pages([], page_size=max(settings.page_size, 1000))

    def chunks() -> Iterator[list[bytes]]:
        held: list[bytes] = []
        for number, page in enumerate(pages, 1):
            undecodable.extend(f"page {number}, {why}" for why in page.skipped)
            if page.total is not None:
                shown.total = page.total
            held += page.raws
            if len(held) >= BATCH:
                yield held
                held = []
        if held:
            yield held

    def told(done: int) -> None:
        shown.done = done
        if tty:
            _show(shown)

    try:
        chunks_iter = chunks()
        first = next(chunks_iter, None)  # the first pages say how many events there are
        workers = 1
        if shown.total is not None and shown.total >= PARALLEL_EVENTS:
            workers = os.cpu_count() or 1

        def all_chunks() -> Iterator[list[bytes]]:
            if first is not None:
                yield first
                yield from chunks_iter

        report = load_records(all_chunks(), normalise, engine, args.table, told, workers=workers)
    except RemoteError as exc:
        _end_line(tty)
        done = f"stopped after {shown.done:,} events: " if shown.done else ""
        err(f"{done}{exc}; what was loaded stays (loading again adds only the rest)")
        return remote_exit_code(exc)
    except ClickHouseError as exc:
        _end_line(tty)
        err(f"{engine.label}: {exc}")
        return 1
    finally:
        pages.close()
        client.close()
    _end_line(tty)
    if undecodable:
        err(describe_undecodable(undecodable))
    if report.invalid:
        n = len(report.invalid)
        first_ones = "; ".join(f"event {i:,} {why}" for i, why in report.invalid[:5])
        more = f"; … and {n - 5:,} more" if n > 5 else ""
        noun = "event" if n == 1 else "events"
        err(
            f"skipped {n:,} {noun} the server sent without a valid audited_at/event_type: "
            f"{first_ones}{more}"
        )
    return _summary(report, engine.label, args.table, error=False)


def _end_line(tty: bool) -> None:
    if tty:
        sys.stderr.write("\r\x1b[K")


def _summary(report: LoadReport, label: str, table: str, *, error: bool) -> int:
    if report.out_of_range:
        err(
            f"skipped {report.out_of_range} events whose time ClickHouse cannot hold "
            "(before 1900 or after 2299)"
        )
    already = report.read - len(report.invalid) - report.out_of_range - report.inserted
    err(
        f"loaded {report.inserted:,} new events into {label} table {table}"
        + (f" ({already:,} already there)" if already > 0 else "")
    )
    return 1 if error else 0
