"""``audit-tui URL`` and ``audit-tui query URL``: the command line of the remote source.

``query`` streams every matching page to standard output (the filters go to the server; with
``--limit`` it stops fetching once it has enough; ``--count`` uses the server's ``total``).
Failures are one line on stderr: exit 1 for the server's or the network's, 2 for bad usage.
The token is never printed.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Generator, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import orjson

from audit_tui import output
from audit_tui.model import InvalidRecord, Row, flatten
from audit_tui.query import Query
from audit_tui.remote.errors import RemoteError, SettingsError
from audit_tui.remote.settings import RemoteSettings, is_url, plain_http_warning, resolve_settings
from audit_tui.sources.formats import normalise

if TYPE_CHECKING:
    from audit_tui.remote.client import Page


def add_remote_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "remote source (SOURCE is an http(s):// URL; the token comes from $AUDIT_TUI_TOKEN, "
        "--token-file or a profile, never from the command line)"
    )
    g.add_argument(
        "--profile", metavar="NAME", help="a profile of the config file (its url if no SOURCE)"
    )
    g.add_argument("--token-file", metavar="PATH", help="read the bearer token from this file")
    g.add_argument("--timeout", type=float, metavar="SECONDS", help="connect and read timeout (10)")
    g.add_argument(
        "--ca-bundle", metavar="PATH", help="trust this CA certificate file (PEM) or folder"
    )
    g.add_argument("--page-size", type=int, metavar="N", help="events per request (100, ≤ 1000)")


REMOTE_ONLY = ("profile", "token_file", "timeout", "ca_bundle", "page_size")


def wants_remote(args: argparse.Namespace) -> bool:
    """True when SOURCE is a URL (or --profile names one); options of the remote source with
    a local source are a usage error rather than silently ignored."""
    if not args.demo and (is_url(args.source) or args.profile):
        return True
    given = [name for name in REMOTE_ONLY if getattr(args, name, None) is not None]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise_usage(f"{option} is for a remote source (an http:// or https:// SOURCE)")
    return False


def settings_from(args: argparse.Namespace) -> RemoteSettings:
    return resolve_settings(
        args.source,
        profile=args.profile,
        token_file=args.token_file,
        timeout=args.timeout,
        page_size=args.page_size,
        ca_bundle=args.ca_bundle,
    )


def _err(message: str) -> None:
    sys.stderr.write(f"audit-tui: {message}\n")


def _warn_transport(settings: RemoteSettings) -> None:
    warning = plain_http_warning(settings.url, settings.token is not None)
    if warning:
        _err(warning)


def _fail(exc: RemoteError) -> int:
    _err(str(exc))
    return 2 if isinstance(exc, SettingsError) else 1


def run_remote_query(args: argparse.Namespace, query: Query, now: datetime) -> int:
    from audit_tui.remote.client import query_params
    from audit_tui.remote.sync import SyncRemoteClient

    if args.source and not is_url(args.source):
        raise_usage("--profile is for remote sources; SOURCE here is a file")
    try:
        settings = settings_from(args)
        _warn_transport(settings)
        client = SyncRemoteClient.from_settings(settings)
    except RemoteError as exc:
        return _fail(exc)
    params = query_params(query, now)
    written = 0
    try:
        if args.count:
            n, _exact = client.count(params)
            print(n if args.limit is None else min(n, args.limit))
            return 0
        pages = client.pages(params, limit=args.limit)
        counter = _Counter(_raws(pages))
        try:
            _write(counter, args.format)
        finally:
            written = counter.n
            pages.close()
        return 0
    except RemoteError as exc:
        if written:
            sys.stdout.flush()
            _err(f"stopped after {written:,} events: {exc}")
        else:
            _err(str(exc))
        return 2 if isinstance(exc, SettingsError) else 1
    finally:
        client.close()


def run_remote_browse(args: argparse.Namespace, query: Query) -> int:
    """The browser on a remote source: settings are checked here; the terminal UI takes a
    :class:`RemoteSettings` and the starting query (see docs/api.md, "For the browser")."""
    if args.source and not is_url(args.source):
        raise_usage("--profile is for remote sources; SOURCE here is a file")
    try:
        settings = settings_from(args)
    except RemoteError as exc:
        return _fail(exc)
    _warn_transport(settings)
    try:
        from audit_tui.tui.app import run_remote_browser
    except ImportError:
        _err(
            "browsing a remote source in the terminal UI is not available yet; use "
            "`audit-tui query URL …` (see docs/api.md)"
        )
        return 1
    return int(run_remote_browser(settings, query))


def raise_usage(message: str) -> None:
    from audit_tui.cli import UsageError as CliUsage

    raise CliUsage(message)


class _Counter:
    def __init__(self, raws: Iterator[bytes]) -> None:
        self._raws = raws
        self.n = 0

    def __iter__(self) -> Iterator[bytes]:
        for raw in self._raws:
            self.n += 1
            yield raw


def _raws(pages: Generator[Page, None, None]) -> Iterator[bytes]:
    for page in pages:
        yield from page.raws


def _write(raws: _Counter, fmt: str) -> None:
    out = sys.stdout.buffer
    if fmt == "jsonl":
        output.write_jsonl(out, raws)
    elif fmt == "json":
        output.write_json(out, raws)
    elif fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            output.write_csv_rows(text, _rows(raws), terminal=out.isatty())
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


def _rows(raws: _Counter) -> Iterator[Row]:
    skipped = 0
    for raw in raws:
        try:
            yield flatten(normalise(orjson.loads(raw)))
        except InvalidRecord:
            skipped += 1
    if skipped:
        _err(f"skipped {skipped:,} events the server sent without a valid audited_at/event_type")
