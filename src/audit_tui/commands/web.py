"""``audit-tui web [SOURCE] [options]``: the browser in a web page, for people who are not on
the host (demos, a colleague without SSH).

Textual's own web serving (the ``textual-serve`` package, the ``web`` extra) runs one
``audit-tui`` process per open page and relays its screen and keys over a WebSocket. This module
checks the command line once, up front, and builds that page command: the browser's own
arguments, absolute and shell-quoted, with no secret in it (a token or a ClickHouse password
reaches the page processes through the environment or a file, as for the browser). The server
itself is :mod:`audit_tui.tui.webserver`.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import shutil
import sys
import tempfile
from urllib.parse import urlsplit

from audit_tui.clickhouse.engine import is_clickhouse
from audit_tui.commands.browse import add_view_options, apply_view, columns_of
from audit_tui.commands.common import (
    UsageError,
    add_remote_options,
    add_source_and_filters,
    add_table_option,
    build_query,
    command_parser,
    err,
    fail,
    open_clickhouse,
    pinned_now,
    refuse_file_with_profile,
    settings_from,
    wants_remote,
    warn_transport,
)
from audit_tui.remote.errors import RemoteError
from audit_tui.views import CONFIG_DIR_ENV, ViewError, parse_sort

DEFAULT_PORT = 8078
DEFAULT_MAX_PAGES = 8

EXAMPLES_WEB = """\
examples:
  audit-tui web --demo                        the sample at http://127.0.0.1:8078/
  audit-tui web events.jsonl --period 7d --search 'type:deleted'
  AUDIT_TUI_TOKEN=… audit-tui web https://host/api/v2/audit-logs
  audit-tui web events.jsonl --port 9000      then, from your laptop:
                                              ssh -L 9000:127.0.0.1:9000 HOST
"""


def web_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "audit-tui web",
        "Serve the browser in a web page: each page opened runs its own audit-tui (docs/web.md).\n"
        "No login and no TLS: keep it on 127.0.0.1 and reach it through an SSH tunnel.",
        EXAMPLES_WEB,
        "web ",
    )
    add_source_and_filters(p)
    add_table_option(p)
    add_view_options(p)
    add_remote_options(p)
    w = p.add_argument_group("the web server")
    w.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (127.0.0.1; anything else lets anyone who reaches the port "
        "read every event: there is no login and no TLS)",
    )
    w.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT}; 0 = any free)"
    )
    w.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when it is not http://HOST:PORT (a proxy in front); "
        "only requests for its host are answered",
    )
    w.add_argument(
        "--export-dir",
        metavar="DIR",
        default=".",
        help="where a page's exports (s) are written on this host before the browser downloads "
        "them; a page names the file, never the folder (the current directory)",
    )
    w.add_argument(
        "--max-pages",
        type=int,
        default=DEFAULT_MAX_PAGES,
        metavar="N",
        help=f"pages open at once ({DEFAULT_MAX_PAGES}); each is a process holding the source",
    )
    return p


def run_web(argv: list[str]) -> int:
    args = web_parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise UsageError("--port takes 0..65535 (see audit-tui web --help)")
    if args.max_pages < 1:
        raise UsageError("--max-pages takes a number ≥ 1 (see audit-tui web --help)")
    if args.public_url is not None:
        parts = urlsplit(args.public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(
                f"--public-url {args.public_url!r}: give the address browsers open, "
                "e.g. https://audit.example.com/"
            )
    if args.view:
        apply_view(args, argv)
    checked = check_source(args)
    if checked:
        return checked
    command = page_command(args)  # every path in it absolute: the pages run in the export dir
    export_dir = os.path.abspath(os.path.expanduser(args.export_dir))
    if not os.path.isdir(export_dir) or not os.access(export_dir, os.W_OK | os.X_OK):
        raise UsageError(f"--export-dir {args.export_dir}: not a folder this user can write in")
    try:
        from audit_tui.tui.webserver import ListenError, serve_pages
    except ImportError:
        err("`audit-tui web` needs the web extra: pip install 'audit-tui[web]' (textual-serve)")
        return 2
    if not is_loopback(args.host):
        err(
            f"warning: serving on {args.host}: anyone who can reach port {args.port} opens the "
            "browser on this source and reads every event (no login, no TLS); prefer "
            "127.0.0.1 and an SSH tunnel (ssh -L), or an authenticating TLS proxy in front "
            "with --public-url"
        )
    os.chdir(export_dir)
    # the pages save and list views of their own, kept while the server runs: a visitor
    # neither reads nor deletes the views of the user who started it (--view NAME is applied
    # above, from that user's file)
    views = tempfile.mkdtemp(prefix="audit-tui-web-views-")
    os.environ[CONFIG_DIR_ENV] = views
    try:
        return serve_pages(
            command,
            export_dir=export_dir,
            host=args.host,
            port=args.port,
            public_url=args.public_url,
            max_pages=args.max_pages,
            title=f"audit-tui · {source_label(args)}",
        )
    except ListenError as exc:
        err(str(exc))
        return 1
    finally:
        shutil.rmtree(views, ignore_errors=True)


def is_loopback(host: str) -> bool:
    """``localhost`` or an address of 127.0.0.0/8 or ::1: only this machine reaches it."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_source(args: argparse.Namespace) -> int:
    """What each page would refuse, said once before serving: the view's options, the
    remote source's settings, a ClickHouse table, a file that cannot be read. Returns an exit
    code, 0 when the pages can start."""
    build_query(args)  # a bad --search or --since is a QueryError here, once
    pinned_now(args)
    try:
        if args.sort:
            parse_sort(args.sort)
    except ViewError as exc:
        raise UsageError(str(exc)) from None
    columns_of(args.columns)
    source = None if args.demo else args.source
    if source == "-":
        raise UsageError(
            "standard input can be read only once, and each page opens the source anew: "
            "save it to a file and serve that"
        )
    if is_clickhouse(source):
        from audit_tui.clickhouse.engine import ClickHouseError

        try:
            open_clickhouse(source or "", args.table, args.password_file).close()
        except ClickHouseError as exc:
            err(str(exc))
            return 2
        return 0
    if wants_remote(args):
        refuse_file_with_profile(args)
        try:
            settings = settings_from(args)
        except RemoteError as exc:
            return fail(exc)
        warn_transport(settings)
        return 0
    if source is not None:
        from audit_tui.sources.file import is_stream

        if is_stream(source):
            raise UsageError(
                f"{source} is a pipe, read only once, and each page opens the source anew: "
                "save it to a file and serve that"
            )
        try:
            with open(source, "rb") as f:
                f.read(1)
        except OSError as exc:
            err(f"{source}: cannot read it ({exc.strerror or exc})")
            return 2
    return 0


def page_command(args: argparse.Namespace) -> str:
    """The shell command each page runs: ``exec`` this Python, ``-m audit_tui`` and the browser's
    arguments (paths made absolute, every value quoted; ``--opt=value`` so that a value
    starting with ``-`` stays a value). It names no secret: a token comes from
    ``$AUDIT_TUI_TOKEN``, a token file or a profile, a ClickHouse password from its file or
    variable, in the page's environment."""
    # exec: the page's shell (textual-serve starts the command with one) becomes audit-tui
    return "exec " + shlex.join([sys.executable, "-m", "audit_tui", *page_arguments(args)])


def page_arguments(args: argparse.Namespace) -> list[str]:
    """The browser's arguments for the view ``args`` holds (``--view`` already applied)."""
    out: list[str] = []
    source = None if args.demo else args.source
    if source is None:
        if not args.profile:  # a profile names its own URL
            out.append("--demo")
    elif source.startswith("chdb:"):
        out.append("chdb:" + os.path.abspath(source[len("chdb:") :]))
    elif is_clickhouse(source) or args.profile or "://" in source:
        out.append(source)
    else:
        out.append(os.path.abspath(source))

    def opt(name: str, value: object) -> None:
        if value is not None and value != "":
            out.append(f"--{name}={value}")

    def path(name: str, value: str | None) -> None:
        if value:
            opt(name, os.path.abspath(os.path.expanduser(value)))

    opt("input-format", args.input_format)
    now = pinned_now(args)
    if now is not None:  # one instant for every page, whenever it is opened
        opt("now", now.isoformat())
    opt("search", args.search)
    if args.period != "all":
        opt("period", args.period)
    opt("since", args.since)
    opt("until", args.until)
    for name, values in (
        ("actor", args.actor),
        ("event-type", args.event_type),
        ("workspace", args.workspace),
    ):
        for value in values:
            opt(name, value)
    if args.table != "audit_events":
        opt("table", args.table)
    path("password-file", args.password_file)
    opt("sort", args.sort)
    if args.local_time:
        out.append("--local-time")
    opt("columns", args.columns)
    if args.follow:
        out.append("--follow")
    opt("profile", args.profile)
    path("token-file", args.token_file)
    opt("timeout", args.timeout)
    path("ca-bundle", args.ca_bundle)
    opt("page-size", args.page_size)
    return out


def source_label(args: argparse.Namespace) -> str:
    """What the page's title names: the file's name, the URL, or the sample."""
    if args.demo or args.source is None:
        return "the bundled sample" if not args.profile else f"profile {args.profile}"
    source = str(args.source)
    if "://" in source:  # no query string: it may hold a key
        parts = urlsplit(source)
        return f"{parts.hostname or ''}{parts.path}"
    if source.startswith("chdb:"):
        return source
    return os.path.basename(source) or source
