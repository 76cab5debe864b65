"""``audit-tui [SOURCE] [FILTERS]``: the terminal browser, on a local source or an audit API.

The terminal UI (and with it textual) is imported only here, inside the functions, so the other
subcommands start without it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from audit_tui import __version__
from audit_tui.commands.common import (
    UsageError,
    add_remote_options,
    add_source_and_filters,
    add_table_option,
    build_query,
    clickhouse_source,
    command_parser,
    err,
    fail,
    is_several,
    open_clickhouse,
    parse_command,
    pinned_now,
    refuse_file_with_profile,
    settings_from,
    wants_remote,
    warn_transport,
)
from audit_tui.query import Query
from audit_tui.remote.errors import RemoteError
from audit_tui.store import Store

if TYPE_CHECKING:
    from audit_tui.sources.follow import Follower
from audit_tui.views import ViewError, load_views, parse_sort, sort_spec

EXAMPLES_BROWSE = """\
examples:
  audit-tui                                   browse the bundled sample
  audit-tui events.jsonl.gz                   browse a file
  audit-tui /var/log/kube/ 'AWSLogs/**/*.json.gz'   many files, folders, globs as one
  audit-tui --period 7d --event-type "Agent Deleted" events.jsonl
  kubectl logs … | audit-tui -                read standard input
  audit-tui https://host/api/v2/audit-logs    browse an audit API (token: $AUDIT_TUI_TOKEN)
  audit-tui query --help                      print matches for scripts
  audit-tui serve --help                      serve a file over the audit API (docs/api.md)
"""


def browse_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "audit-tui", "A keyboard-driven terminal browser for audit logs.", EXAMPLES_BROWSE
    )
    p.add_argument("--version", action="version", version=f"audit-tui {__version__}")
    add_source_and_filters(p)
    add_table_option(p)
    add_view_options(p)
    add_remote_options(p)
    return p


def add_view_options(p: argparse.ArgumentParser) -> None:
    """The view's own options besides the filters: a saved view, the sort, the time zone and
    the columns (the browser and ``audit-tui web`` take the same ones)."""
    v = p.add_argument_group("views")
    v.add_argument(
        "--view",
        metavar="NAME",
        help="open a saved view (ctrl+s saves one, v lists them; its file: "
        "~/.config/audit-tui/views.toml or $AUDIT_TUI_CONFIG_DIR/views.toml); SOURCE and "
        "filters given too replace the view's",
    )
    v.add_argument(
        "--sort",
        metavar="COLUMN[:asc|desc]",
        help="the table's order: audited_at (default, newest first), event_type, resource, "
        "organization, workspace or actor; :desc for Z to A: --sort actor:desc",
    )
    v.add_argument("--local-time", action="store_true", help="show times in local time, not UTC")
    v.add_argument(
        "--columns",
        metavar="KEYS",
        help="the table's columns after the time, in order, comma-separated: event_type, "
        "resource, organization, workspace, actor, actor_type, source_ip, outcome, id, or "
        "path:a.b.c (c in the browser chooses them)",
    )
    v.add_argument(
        "--follow",
        action="store_true",
        help="follow the source as it grows, as F does (a file through rotation and "
        "truncation, a pipe or standard input, an audit API)",
    )


def run_browse(argv: list[str]) -> int:
    from audit_tui.sources.file import SourceError
    from audit_tui.sources.follow import FollowError

    args = parse_command(browse_parser(), argv)
    if args.view:
        apply_view(args, argv)
    query = build_query(args)
    now = pinned_now(args)
    if clickhouse_source(args):
        return run_clickhouse_browse(args, query)
    if wants_remote(args):
        return run_remote_browse(args, query)
    try:
        sort = parse_sort(args.sort) if args.sort else None
    except ViewError as exc:
        raise UsageError(str(exc)) from None
    follower_for = None
    piped = args.follow and is_pipe(args)
    restore: Callable[[], None] = (lambda: None) if piped else preview(args, query, sort)
    try:
        if piped:
            store, follower_for = open_followed_pipe(args)
            opener = _read_once(args.source)
        else:
            opener = source_opener(args)
            store = opener()
    except (SourceError, FollowError) as exc:
        restore()
        err(str(exc))
        return 2
    try:
        from audit_tui.tui.app import run_browser
    except ImportError:
        restore()
        store.close()
        err("the browser is not available in this build; use `audit-tui query`")
        return 1
    first = [store]

    def open_store() -> Store:
        if first:
            return first.pop()
        return opener()

    try:
        return run_browser(
            open_store,
            query,
            now=None if now is None else (lambda: now),
            source=tuple(args.sources) if is_several(args) else None if args.demo else args.source,
            sort=sort,
            utc=not args.local_time,
            input_format=args.input_format,
            columns=columns_of(args.columns),
            follow=args.follow,
            follower_for=follower_for,
        )
    except BaseException:  # the interface did not take the terminal back: do it here
        restore()
        raise


def preview(args: argparse.Namespace, query: Query, sort: object) -> Callable[[], None]:
    """Paint the newest events of a big file before the interface is up (see
    :mod:`audit_tui.tui.preview`) when the view shows them as they are: no filter, the
    default order and columns. Returns what puts the terminal back if the interface never
    starts."""
    spec = args.source
    if args.demo or not spec or spec == "-" or query != Query() or sort is not None:
        return lambda: None
    if is_several(args):  # (the preview reads one file)
        return lambda: None
    if args.columns:
        return lambda: None
    from audit_tui.sources.formats import resolve
    from audit_tui.tui.preview import paint_newest, wanted

    if not wanted():
        return lambda: None
    try:
        forced = resolve(args.input_format)
    except ValueError:
        return lambda: None
    restore = paint_newest(spec, f"audit-tui — {spec}", forced=forced, utc=not args.local_time)
    return restore or (lambda: None)


def is_pipe(args: argparse.Namespace) -> bool:
    """SOURCE is standard input or something else read once (a named pipe, ``<(cmd)``)."""
    from audit_tui.sources.file import is_stream

    return not args.demo and (args.source == "-" or bool(args.source and is_stream(args.source)))


def open_followed_pipe(
    args: argparse.Namespace,
) -> tuple[Store, Callable[[Store], Follower]]:
    """A pipe opened to be followed: what it holds at first is loaded, the rest is read as it
    arrives by the one follower it has (a reload cannot read it again)."""
    from audit_tui.sources.follow import FollowError, open_stream

    store, follower = open_stream(args.source, input_format=args.input_format)

    def follower_for(opened: Store) -> Follower:
        if opened is not store:
            raise FollowError(f"{follower.label} is read once: it cannot be followed again")
        return follower

    return store, follower_for


def _read_once(spec: str) -> Callable[[], Store]:
    def again() -> Store:
        from audit_tui.sources.file import SourceError

        what = "standard input" if spec == "-" else spec
        raise SourceError(f"{what} is followed as it arrives: it cannot be read again")

    return again


def columns_of(spec: str | None) -> tuple[str, ...] | None:
    """``--columns a,b,path:x.y`` as keys (None: the default columns)."""
    if not spec:
        return None
    keys = tuple(k.strip() for k in spec.split(",") if k.strip())
    known = {"event_type", "resource", "organization", "workspace", "actor"}
    known |= {"actor_type", "source_ip", "outcome", "id"}
    bad = [k for k in keys if k not in known and not (k.startswith("path:") and len(k) > 5)]
    if bad or not keys:
        raise UsageError(
            f"--columns {spec!r}: unknown column {', '.join(bad) or '(none)'}; use "
            + ", ".join(sorted(known))
            + " or path:a.b.c"
        )
    return keys


def apply_view(args: argparse.Namespace, argv: list[str]) -> None:
    """Fill ``args`` from the saved view ``args.view``: what the command line gives itself
    (SOURCE, a filter, the sort) wins."""
    try:
        views = load_views()
    except ViewError as exc:
        raise UsageError(str(exc)) from None
    view = views.get(args.view)
    if view is None:
        known = ", ".join(sorted(views)) or "none saved yet (ctrl+s in the browser saves one)"
        raise UsageError(f"no saved view named {args.view!r}; the views: {known}")
    given = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    if args.source is None and not args.demo:
        if view.source:
            args.source = view.source
            args.sources = list(view.sources or (view.source,))
        else:
            args.demo = True
    if "--input-format" not in given and view.input_format:
        args.input_format = view.input_format
    if "--search" not in given:
        args.search = view.text
    if not given & {"--period", "--since", "--until"}:
        args.period, args.since, args.until = view.period, view.since, view.until
    for flag, name, values in (
        ("--actor", "actor", view.actors),
        ("--event-type", "event_type", view.event_types),
        ("--workspace", "workspace", view.workspaces),
    ):
        if flag not in given:
            setattr(args, name, list(values))
    if "--sort" not in given and view.sort is not None:
        args.sort = sort_spec(view.sort)
    if "--local-time" not in given:
        args.local_time = not view.utc
    if "--columns" not in given and view.columns:
        args.columns = ",".join(view.columns)


def source_opener(args: argparse.Namespace) -> Callable[[], Store]:
    """How to open the source, again on reload (standard input, a named pipe or ``<(cmd)``
    is read once and kept)."""
    from audit_tui.sources.file import is_stream, open_data, open_source, read_stream

    spec = None if args.demo else args.source
    fmt = args.input_format
    if is_several(args):
        from audit_tui.sources.multi import open_paths, read_once

        specs = list(args.sources)
        streams = {s: read_once(s) for s in specs if s == "-" or is_stream(s)}  # kept
        return lambda: open_paths(specs, input_format=fmt, streams=streams)
    if spec == "-":
        data = sys.stdin.buffer.read()
        return lambda: open_data(data, "stdin", input_format=fmt)
    if spec and is_stream(spec):
        kept = read_stream(spec)
        return lambda: open_data(kept, spec, input_format=fmt, source=spec)
    now = pinned_now(args)
    return lambda: open_source(spec, demo=args.demo or spec is None, input_format=fmt, now=now)


def run_clickhouse_browse(args: argparse.Namespace, query: Query) -> int:
    """The browser on a ClickHouse table: the audit API contract is served from the engine on
    127.0.0.1 (a port of its own, a one-time token) and the remote screen browses it, so every
    page, count, facet list and search is a query on the engine and only what is on screen is
    held here. A server's driver serves from a thread of this process; the embedded engine
    (``chdb:``) from a child process, so this one never loads it."""
    import secrets

    from audit_tui.clickhouse.engine import ClickHouseError, is_chdb
    from audit_tui.remote.settings import RemoteSettings, Secret
    from audit_tui.serve import AuditAPI, create_app, serve_in_thread
    from audit_tui.tui.app import run_remote_browser

    if is_chdb(args.source):  # the engine in a child process: see commands/engine_child.py
        from audit_tui.commands.engine_child import ChildError, served_in_child

        label = f"{args.source} {args.table}"
        try:
            with served_in_child(args.source, args.table) as (url, child_token):
                settings = RemoteSettings(
                    url=url, token=Secret(child_token), token_origin="this process"
                )
                return int(run_remote_browser(settings, query, label=label, follow=args.follow))
        except ChildError as exc:
            err(str(exc))
            return 2
    try:
        events = open_clickhouse(args.source, args.table, args.password_file, args.ch_profile)
    except ClickHouseError as exc:
        err(str(exc))
        return 2
    token = secrets.token_urlsafe(24)
    try:
        with serve_in_thread(create_app(AuditAPI(events, token))) as url:
            settings = RemoteSettings(url=url, token=Secret(token), token_origin="this process")
            return int(run_remote_browser(settings, query, label=events.label, follow=args.follow))
    finally:
        events.close()


def run_remote_browse(args: argparse.Namespace, query: Query) -> int:
    """The browser on a remote source: settings are checked here; the terminal UI takes a
    :class:`~audit_tui.remote.settings.RemoteSettings` and the starting query (see docs/api.md,
    "For the browser")."""
    refuse_file_with_profile(args)
    try:
        settings = settings_from(args)
    except RemoteError as exc:
        return fail(exc)
    warn_transport(settings)
    try:
        from audit_tui.tui.app import run_remote_browser
    except ImportError:
        err(
            "browsing a remote source in the terminal UI is not available yet; use "
            "`audit-tui query URL …` (see docs/api.md)"
        )
        return 1
    return int(run_remote_browser(settings, query, follow=args.follow))
