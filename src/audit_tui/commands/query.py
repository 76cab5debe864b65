"""``audit-tui query [SOURCE] [FILTERS]``: print the events that match, newest first.

On a local source the store is searched here; on an audit API (SOURCE is a URL, or
``--profile``) every matching page is streamed to standard output: the filters go to the
server, ``--limit`` stops fetching once it has enough and ``--count`` uses the server's
``total``. Failures are one line on stderr: exit 1 for the server's or the network's, 2 for
bad usage. The token is never printed.
"""

from __future__ import annotations

import argparse
import io
import itertools
import sys
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Protocol

import numpy as np
import orjson

from audit_tui import countby, diff, output
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
    open_clickhouse,
    open_for_query,
    parse_command,
    pinned_now,
    refuse_file_with_profile,
    remote_exit_code,
    report_load,
    settings_from,
    wants_remote,
    warn_transport,
)
from audit_tui.countby import COUNT_FIELDS
from audit_tui.model import InvalidRecord, Row, flatten
from audit_tui.query import Query
from audit_tui.remote.errors import RemoteError
from audit_tui.sources.formats import detect, normalise
from audit_tui.store import Store

if TYPE_CHECKING:
    from audit_tui.remote.client import Page

EXAMPLES_QUERY = """\
examples:
  audit-tui query events.jsonl --search "invoice-bot" --period 30d
  audit-tui query events.jsonl --actor ada@example.com --actor usr_42 --format csv > ada.csv
  audit-tui query events.jsonl --since 2026-11-01 --until 2026-11-20 --count
  audit-tui query --demo --event-type "Workspace API Key Revoked" --format jsonl
  cat events.json | audit-tui query - --workspace "Finance Ops" --limit 20
  audit-tui query https://host/api/v2/audit-logs --actor ada@example.com --format jsonl
  audit-tui query --profile prod --period 7d --count
  audit-tui query --demo -- 'type:deleted OR type:revoked workspace:prod -actor:scheduler'
  audit-tui query --demo --search 'type:"key created"' --count-by day --format csv
  audit-tui query chdb:./audit.db --actor ada@example.com --count
  audit-tui query /var/log/kube/ 'AWSLogs/**/*.json.gz' --count-by file -- 'file:2026-11-30'

SOURCE is files (.jsonl, .ndjson, .json, .csv, .log, optionally .gz), folders (read
recursively), quoted globs (** too) in any mix, read as one; - for standard input,
an http(s):// audit API endpoint (docs/api.md), a ClickHouse table (chdb:PATH,
clickhouse://host/DB; docs/clickhouse.md), or nothing / --demo for the bundled sample.
Times: ISO dates or datetimes (naive = UTC), 3d, 12h, yesterday, now. --since is inclusive,
--until exclusive; a date alone as --until means the end of that day.
"""


def query_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "audit-tui query", "Print the events that match, newest first.", EXAMPLES_QUERY, "query "
    )
    add_source_and_filters(p)
    p.add_argument(
        "terms",
        nargs="*",
        metavar="QUERY",
        help="the search language after --, so a leading -term is not an option: "
        "-- 'type:deleted OR type:revoked -actor:scheduler' (docs/search.md)",
    )
    o = p.add_argument_group("output")
    o.add_argument(
        "--format",
        choices=["table", "jsonl", "json", "csv", "diff"],
        default="table",
        help="table (aligned, sanitised), jsonl/json (original records), csv, diff (what "
        "each configuration change changed, one block per event, newest first)",
    )
    o.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="print at most N events (with --count-by: N rows): --limit 50",
    )
    o.add_argument("--count", action="store_true", help="print only the number of matches")
    o.add_argument(
        "--follow",
        action="store_true",
        help="print the matches (oldest first), then every new matching event as it is "
        "written, until Ctrl-C (exit 0); --format jsonl, csv or table",
    )
    o.add_argument(
        "--count-by",
        choices=COUNT_FIELDS,
        metavar="FIELD",
        help="one row per value with its count, most frequent first: "
        + ", ".join(COUNT_FIELDS)
        + " (hour/day: UTC buckets, oldest first, empty ones included)",
    )
    add_remote_options(p)
    add_table_option(p)
    return p


def run_query(argv: list[str]) -> int:
    args = parse_command(query_parser(), argv, terms=True)
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit takes a number ≥ 0 (see audit-tui query --help)")
    if args.demo and args.source is not None:  # --demo takes no SOURCE: -- QUERY is the query
        args.terms, args.source, args.sources = [*args.sources, *args.terms], None, []
    if args.terms:  # the positional form ANDs with --search
        args.search = " ".join(t for t in [args.search, *args.terms] if t)
    query = build_query(args)
    now = clock(args)
    if args.format == "diff" and not (args.count or args.count_by):
        # --limit counts the events printed, not the matches looked at
        global _DIFF_LIMIT
        _DIFF_LIMIT, args.limit = args.limit, None
    if args.follow:
        return run_follow(args, query)
    clickhouse = clickhouse_source(args)
    remote = not clickhouse and wants_remote(args)
    if (clickhouse or remote) and args.count_by in countby.FILE_ONLY:
        raise UsageError(
            f"--count-by {args.count_by} is for files: an audit API or a ClickHouse table keeps "
            "no file names"
        )
    if clickhouse:
        return run_clickhouse_query(args, query, now)
    if remote:
        return run_remote_query(args, query, now)
    return run_local_query(args, query, now)


def run_follow(args: argparse.Namespace, query: Query) -> int:
    """``--follow``: see :mod:`audit_tui.commands.follow`."""
    from audit_tui.commands.follow import check_follow_args, run_followed_query

    check_follow_args(args)
    if clickhouse_source(args):
        err(
            "following a ClickHouse table is not supported; query it again, or follow the "
            "file or API that feeds it"
        )
        return 2
    if wants_remote(args):
        from audit_tui.commands.follow import run_remote_followed_query

        refuse_file_with_profile(args)
        return run_remote_followed_query(args, query)
    return run_followed_query(args, query, lambda: _open_followed(args))


def _open_followed(args: argparse.Namespace) -> tuple[Store, object]:
    """The store of a local source and, for a pipe, the follower that reads the rest of it
    (a file's follower is made once it has loaded)."""
    from audit_tui.sources.file import is_stream, open_source
    from audit_tui.sources.follow import open_stream

    spec = None if args.demo else args.source
    if spec and (spec == "-" or is_stream(spec)):
        return open_stream(spec, input_format=args.input_format)
    store = open_source(
        spec, demo=args.demo or spec is None, input_format=args.input_format, now=pinned_now(args)
    )
    return store, None


# -- a local source --------------------------------------------------------------------------


def run_local_query(args: argparse.Namespace, query: Query, now: datetime) -> int:
    from audit_tui.sources.file import SourceError

    try:
        store, candidates = open_for_query(args, query)
    except SourceError as exc:
        err(str(exc))
        return 2
    try:
        store.wait()
        _say_format(store)
        report_load(store, candidates)
        if args.count_by:
            counts = store.count_by(query, args.count_by, now)[: args.limit]
            sys.stdout.write(countby.render(counts, args.format))
            return 0
        result = store.search(query, now)
        positions = result.positions
        if args.limit is not None:
            positions = positions[: args.limit]
        if args.count:
            print(result.count if args.limit is None else len(positions))
            return 0
        _write_local(store, positions, args.format)
        return 1 if store.error and store.total == 0 else 0
    finally:
        store.close()


# -- a ClickHouse table ----------------------------------------------------------------------


def run_clickhouse_query(args: argparse.Namespace, query: Query, now: datetime) -> int:
    """The query pushed down to the engine: a count, or the matches a page at a time."""
    from audit_tui.clickhouse.engine import ClickHouseError
    from audit_tui.clickhouse.view import PagedView

    try:
        events = open_clickhouse(args.source, args.table, args.password_file, args.ch_profile)
    except ClickHouseError as exc:
        err(str(exc))
        return 2
    try:
        if args.count_by:
            counts = events.count_by(query, args.count_by, now)[: args.limit]
            sys.stdout.write(countby.render(counts, args.format))
            return 0
        if args.count:
            n = events.count(query, now)
            print(n if args.limit is None else min(n, args.limit))
            return 0
        view = PagedView(events, query, now)
        positions = view.search(query, now).positions
        if args.limit is not None:
            positions = positions[: args.limit]
        _write_local(view, positions, args.format)
        return 0
    except ClickHouseError as exc:
        err(f"{events.label}: {exc}")
        return 1
    finally:
        events.close()


def _say_format(store: Store) -> None:
    """Name a detected foreign format on stderr (native files need no word)."""
    name = store.format_name
    if name and ":" in name:
        if store.file_report.total:  # several files: "files: Kubernetes audit + …"
            n = store.file_report.total
            err(f"reading {n:,} file{'s' if n != 1 else ''} as {name.split(': ', 1)[1]}")
        else:
            err(f"reading {store.label} as {name}")


class Readable(Protocol):
    """What the writers read of a source by position: a store, or a ClickHouse view."""

    def raw(self, position: int) -> bytes: ...

    def row(self, position: int) -> Row: ...


def _local_raws(store: Readable, positions: Sequence[int] | np.ndarray) -> Iterator[bytes]:
    for p in positions:
        yield store.raw(int(p))


def _write_local(store: Readable, positions: Sequence[int] | np.ndarray, fmt: str) -> None:
    out = sys.stdout.buffer
    terminal = output.is_terminal(out)
    if fmt == "diff":
        _write_diffs(out, _local_diffs(store, positions))
    elif fmt == "jsonl":
        output.write_jsonl(out, _local_raws(store, positions), terminal=terminal)
    elif fmt == "json":
        output.write_json(out, _local_raws(store, positions), terminal=terminal)
    elif fmt == "csv":
        from audit_tui.csv_export import write_csv

        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        # (a store's positions as load indices; a ClickHouse view's never move)
        events = store.events_at(np.asarray(positions)) if isinstance(store, Store) else positions
        write_csv(text, store, events, terminal=terminal)
        text.detach()
    else:
        rows = (store.row(int(p)) for p in positions)
        text = io.TextIOWrapper(out, encoding="utf-8", errors="replace", write_through=True)
        for line in output.table_lines(rows):
            text.write(line + "\n")
        text.detach()
    out.flush()


def _local_diffs(store: Readable, positions: Sequence[int] | np.ndarray) -> Iterator[str]:
    """The change blocks of the events that record a change (a store also compares a
    Kubernetes update with the object's previous event)."""
    from audit_tui.changes import event_changes

    searchable = isinstance(store, Store)
    for p in positions:
        position = int(p)
        if searchable:
            found = event_changes(store, position)  # type: ignore[arg-type]
            changes = None if found is None else found.changes
        else:
            changes = _self_contained(store.raw(position))
        if changes:
            yield diff.event_block(store.row(position), changes)


def _self_contained(raw: bytes) -> list[diff.Change] | None:
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return diff.changes_in(rec, detect(rec)) if isinstance(rec, dict) else None


def _raw_diffs(raws: Iterable[bytes]) -> Iterator[str]:
    for raw in raws:
        changes = _self_contained(raw)
        if changes:
            try:
                row = flatten(normalise(orjson.loads(raw)))
            except InvalidRecord:
                continue
            yield diff.event_block(row, changes)


_DIFF_LIMIT: int | None = None  # --limit with --format diff: the blocks printed


def _write_diffs(out: IO[bytes], blocks: Iterable[str]) -> None:
    """One block per event, a blank line between; values are sanitised whatever the output
    (a diff is for people)."""
    for n, block in enumerate(itertools.islice(blocks, _DIFF_LIMIT)):
        out.write((("\n" if n else "") + block).encode("utf-8", "replace"))


# -- an audit API ----------------------------------------------------------------------------


def run_remote_query(args: argparse.Namespace, query: Query, now: datetime) -> int:
    from audit_tui.remote.client import describe_undecodable, query_params
    from audit_tui.remote.sync import SyncRemoteClient

    refuse_file_with_profile(args)
    try:
        settings = settings_from(args)
        warn_transport(settings)
        client = SyncRemoteClient.from_settings(settings, on_wait=err)
    except RemoteError as exc:
        return fail(exc)
    params = query_params(query, now)
    written = 0
    undecodable: list[str] = []
    try:
        if args.count_by:  # the server has no grouping: count the rows of every page
            pages = client.pages(params, limit=None)
            try:
                counts = countby.count_rows(_rows(_page_raws(pages, undecodable)), args.count_by)
            finally:
                pages.close()
                if undecodable:
                    err(describe_undecodable(undecodable))
            sys.stdout.write(countby.render(counts[: args.limit], args.format))
            return 0
        if args.count:
            n, _exact = client.count(params)
            print(n if args.limit is None else min(n, args.limit))
            return 0
        pages = client.pages(params, limit=args.limit)
        counter = _Counter(_page_raws(pages, undecodable))
        try:
            _write_remote(counter, args.format)
        finally:
            written = counter.n
            pages.close()
            if undecodable:
                err(describe_undecodable(undecodable))
        return 0
    except RemoteError as exc:
        if written:
            sys.stdout.flush()
            err(f"stopped after {written:,} events: {exc}")
        else:
            err(str(exc))
        return remote_exit_code(exc)
    finally:
        client.close()


class _Counter:
    """The records passing through, counted (to say how far a broken stream got)."""

    def __init__(self, raws: Iterator[bytes]) -> None:
        self._raws = raws
        self.n = 0

    def __iter__(self) -> Iterator[bytes]:
        for raw in self._raws:
            self.n += 1
            yield raw


def _page_raws(pages: Generator[Page, None, None], undecodable: list[str]) -> Iterator[bytes]:
    """The events of every page; why each one left out was left out goes to ``undecodable``."""
    for number, page in enumerate(pages, 1):
        undecodable += [f"page {number}, {why}" for why in page.skipped]
        yield from page.raws


def _write_remote(raws: _Counter, fmt: str) -> None:
    out = sys.stdout.buffer
    terminal = output.is_terminal(out)
    if fmt == "diff":
        _write_diffs(out, _raw_diffs(raws))
    elif fmt == "jsonl":
        output.write_jsonl(out, raws, terminal=terminal)
    elif fmt == "json":
        output.write_json(out, raws, terminal=terminal)
    elif fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            output.write_csv_records(text, _row_records(raws), terminal=terminal)
        finally:
            text.detach()
    else:
        text = io.TextIOWrapper(out, encoding="utf-8", errors="replace", write_through=True)
        try:
            # the table aligns columns over all rows, so it holds them: use --limit or jsonl
            # for big results
            for line in output.table_lines(_rows(raws)):
                text.write(line + "\n")
        finally:
            text.detach()
    out.flush()


def _rows(raws: Iterable[bytes]) -> Iterator[Row]:
    for row, _raw in _row_records(raws):
        yield row


def _row_records(raws: Iterable[bytes]) -> Iterator[tuple[Row, bytes]]:
    """Each valid event's row with its bytes (for exact CSV metadata cells)."""
    skipped = 0
    for raw in raws:
        try:
            yield flatten(normalise(orjson.loads(raw))), raw
        except InvalidRecord:
            skipped += 1
    if skipped:
        err(f"skipped {skipped:,} events the server sent without a valid audited_at/event_type")
