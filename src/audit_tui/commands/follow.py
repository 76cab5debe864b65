"""``audit-tui query SOURCE --follow``: the matches, then every new matching event as it
arrives, until interrupted, like ``tail -f | jq`` but filtered and safe.

The matches already there are printed oldest first (``--limit N``: the N newest of them), then
each new matching event in time order as it is written. Output is whole lines only: a batch is
written and flushed at once, and SIGINT or SIGTERM (Ctrl-C) ends the command between two
batches, with exit code 0. Formats: ``jsonl`` (the records as written), ``csv`` (the header
once), ``table`` (fixed column widths, so the columns stay aligned as rows arrive).
"""

from __future__ import annotations

import argparse
import csv
import io
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from types import FrameType
from typing import IO, Any

import numpy as np

from audit_tui import output
from audit_tui.commands.common import UsageError, clock, err, pinned_now, report_load
from audit_tui.model import Row
from audit_tui.query import Query, utcnow
from audit_tui.safe import clean, clean_json_bytes
from audit_tui.store import Store

FORMATS = ("jsonl", "csv", "table")
POLL = 0.25  # seconds between looks at the source
CHUNK = 5_000  # events written (and flushed) at a time


def check_follow_args(args: argparse.Namespace) -> None:
    """What ``--follow`` goes with (one line saying what to do otherwise)."""
    if args.count or args.count_by:
        raise UsageError("--follow prints events as they arrive: it does not go with --count")
    if args.format not in FORMATS:
        raise UsageError(
            f"--follow prints one line per event: use --format jsonl, csv or table "
            f"(not {args.format})"
        )


class Stop:
    """SIGINT and SIGTERM set a flag (instead of raising in the middle of a write): the
    command stops between two batches of whole lines."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._old: list[tuple[int, Any]] = []

    def __enter__(self) -> Stop:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old.append((sig, signal.signal(sig, self._set)))
        return self

    def _set(self, signum: int, frame: FrameType | None) -> None:
        self.event.set()

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old:
            signal.signal(sig, old)

    @property
    def stopped(self) -> bool:
        return self.event.is_set()


class LineWriter:
    """Whole lines of one format to standard output, flushed after each batch."""

    def __init__(self, fmt: str, out: IO[bytes]) -> None:
        self.fmt = fmt
        self.out = out
        self.terminal = output.is_terminal(out)
        self.text = io.StringIO()
        self.csv = csv.writer(self.text, lineterminator="\r\n")

    def header(self) -> None:
        if self.fmt == "csv":
            self.csv.writerow(output.CSV_COLUMNS)
        elif self.fmt == "table":
            self.text.write(_table_line(output.TABLE_HEADERS) + "\n")
        self._flush_text()

    def write(self, events: Iterable[tuple[Row, bytes]]) -> int:
        n = 0
        if self.fmt == "jsonl":
            lines = []
            for _row, raw in events:
                line = raw.rstrip(b"\r\n")
                lines.append(clean_json_bytes(line) if self.terminal else line)
                n += 1
            if lines:
                self.out.write(b"\n".join(lines) + b"\n")
        else:
            for row, raw in events:
                if self.fmt == "csv":
                    cells = output.csv_cells(row, raw)
                    self.csv.writerow([clean(c) for c in cells] if self.terminal else cells)
                else:
                    self.text.write(_table_line(output.table_cells(row)) + "\n")
                n += 1
            self._flush_text()
        self.out.flush()
        return n

    def _flush_text(self) -> None:
        data = self.text.getvalue()
        if data:
            self.out.write(data.encode("utf-8", "replace"))
            self.text.seek(0)
            self.text.truncate()
        self.out.flush()


def _table_line(cells: Iterable[str]) -> str:
    """The six columns at their caps' widths (rows that arrive later line up)."""
    parts = [clean(c, w).ljust(w) for c, w in zip(cells, output.TABLE_LIMITS, strict=True)]
    return "  ".join(parts).rstrip()


def run_followed_query(
    args: argparse.Namespace,
    query: Query,
    open_followed: Callable[[], tuple[Store, Any]],
) -> int:
    """Print the matches of ``query`` in the store ``open_followed`` gives (with its
    follower), then the new ones as they arrive, until SIGINT/SIGTERM or the source ends."""
    from audit_tui.sources.file import SourceError
    from audit_tui.sources.follow import FollowError

    pinned = pinned_now(args)
    writer = LineWriter(args.format, sys.stdout.buffer)
    with Stop() as stop:
        try:
            store, follower = open_followed()
        except (SourceError, FollowError) as exc:
            err(str(exc))
            return 2
        try:
            while not store.wait(0.1):
                if stop.stopped:
                    return 0
            report_load(store, None)
            if follower is None:
                try:
                    from audit_tui.sources.follow import follower_for

                    follower = follower_for(store)
                except FollowError as exc:
                    err(str(exc))
                    return 2
            now = clock(args)
            seen = store.total
            result = store.search(query, now)
            events = result.events[::-1]  # oldest first
            if args.limit is not None:
                events = events[max(0, len(events) - args.limit) :]
            writer.header()
            for start in range(0, len(events), CHUNK):
                if stop.stopped:
                    return 0
                writer.write(_records(store, events[start : start + CHUNK]))
            return _follow(store, follower, query, writer, stop, seen, pinned)
        finally:
            if follower is not None:
                follower.close()
            store.close()


def _follow(
    store: Store,
    follower: Any,
    query: Query,
    writer: LineWriter,
    stop: Stop,
    seen: int,
    pinned: datetime | None,
) -> int:
    """Poll, and print the new matches of each poll in time order."""
    skipped = store.skipped_count
    while not stop.stopped:
        arrival = follower.poll()
        for note in arrival.notes:
            err(note)
        if arrival.events:
            result = store.search(query, pinned or utcnow())
            found = result.events
            new = found[found >= seen][::-1]  # the new matches, oldest first
            seen = store.total
            for start in range(0, len(new), CHUNK):
                writer.write(_records(store, new[start : start + CHUNK]))
        if store.skipped_count > skipped:
            err(_skipped_note(store, skipped))
            skipped = store.skipped_count
        if arrival.ended:
            return 0
        if not arrival.events:
            stop.event.wait(POLL)
    return 0


# -- an audit API ----------------------------------------------------------------------------


def run_remote_followed_query(args: argparse.Namespace, query: Query) -> int:
    """The matches on an audit API, then what each poll finds newer (see
    :mod:`audit_tui.remote.follow`): exit 0 on SIGINT/SIGTERM, 1 when the server refuses the
    token."""
    from audit_tui.commands.common import fail, settings_from, warn_transport
    from audit_tui.remote.client import describe_undecodable, query_params
    from audit_tui.remote.errors import AuthError, RemoteError
    from audit_tui.remote.follow import RemoteFollower
    from audit_tui.remote.sync import SyncRemoteClient

    try:
        settings = settings_from(args)
        warn_transport(settings)
        client = SyncRemoteClient.from_settings(settings, on_wait=err)
    except RemoteError as exc:
        return fail(exc)
    writer = LineWriter(args.format, sys.stdout.buffer)
    with Stop() as stop:
        try:
            raws: list[bytes] = []
            records: list[dict[str, Any]] = []
            skipped: list[str] = []
            pages = client.pages(query_params(query, clock(args)), limit=args.limit)
            try:
                for page in pages:
                    raws += page.raws
                    records += page.records
                    skipped += page.skipped
                    if stop.stopped:
                        return 0
            finally:
                pages.close()
            if skipped:
                err(describe_undecodable(skipped))
            writer.header()
            writer.write(_remote_rows(raws[::-1], records[::-1]))  # oldest first
            follower = RemoteFollower(client.client, query, known=records, known_raws=raws)
            failing = False
            while not stop.event.wait(follower.delay):
                try:
                    polled = client.run(follower.poll())
                except AuthError as exc:
                    err(str(exc))
                    return 1
                except RemoteError as exc:
                    if not failing:  # once per run of failures; polling goes on
                        err(f"{exc}; trying again in {follower.delay:.0f} s")
                    failing = True
                    continue
                failing = False
                if polled.skipped:
                    err(describe_undecodable(polled.skipped))
                writer.write(_remote_rows(polled.raws[::-1], polled.records[::-1]))
            return 0
        except AuthError as exc:
            err(str(exc))
            return 1
        except RemoteError as exc:
            err(str(exc))
            return 1
        finally:
            client.close()


def _remote_rows(raws: list[bytes], records: list[dict[str, Any]]) -> Iterator[tuple[Row, bytes]]:
    from audit_tui.model import InvalidRecord, flatten
    from audit_tui.sources.formats import normalise

    for raw, record in zip(raws, records, strict=True):
        try:
            yield flatten(normalise(record)), raw
        except InvalidRecord:
            err("skipped an event the server sent without a valid audited_at/event_type")


def _skipped_note(store: Store, before: int) -> str:
    from audit_tui.store import describe_skipped

    new = store.skipped[before:]
    return describe_skipped(new, most=3)


def _records(store: Store, events: np.ndarray) -> Iterator[tuple[Row, bytes]]:
    for e in events.tolist():
        yield store.event_row(e), store.event_raw(e)
