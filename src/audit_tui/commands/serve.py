"""``audit-tui serve [SOURCE]``: serve a local source over the audit API contract
(``docs/api.md``) with :mod:`audit_tui.serve`'s app, until interrupted.

Starlette and uvicorn are an optional extra (``pip install 'audit-tui[serve]'``).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING

from audit_tui.commands.common import (
    UsageError,
    add_table_option,
    clickhouse_source,
    command_parser,
    err,
    open_clickhouse,
    source_argument,
)
from audit_tui.safe import clean
from audit_tui.serve import (
    DEFAULT_PORT,
    MAX_LIMIT,
    TOKEN_ENV,
    AuditAPI,
    QueryParams,
    bind,
    create_app,
    url_of,
    uvicorn_server,
)
from audit_tui.store import Store

if TYPE_CHECKING:
    from audit_tui.clickhouse.events import ClickHouseEvents
    from audit_tui.sources.follow import Follower

LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")

EXAMPLES_SERVE = """\
examples:
  AUDIT_TUI_TOKEN=s3cret audit-tui serve events.jsonl
  AUDIT_TUI_TOKEN=s3cret audit-tui query http://127.0.0.1:8077/audit-logs --count
  audit-tui serve --demo --no-auth --port 0
"""


def serve_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "audit-tui serve",
        "Serve a local source over the audit API contract (docs/api.md).",
        EXAMPLES_SERVE,
        "serve ",
    )
    p.add_argument(
        "source",
        nargs="?",
        type=source_argument,
        metavar="SOURCE",
        help="a file, or a ClickHouse table (chdb:PATH, clickhouse://host/DB); none = the sample",
    )
    p.add_argument(
        "--source",
        dest="source_option",
        type=source_argument,
        metavar="SOURCE",
        help="the same as SOURCE: --source chdb:./audit.db",
    )
    add_table_option(p)
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="a ClickHouse profile of the config file: its url (when no SOURCE) and password",
    )
    p.add_argument("--demo", action="store_true", help="serve the bundled sample")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT}; 0 = any free)"
    )
    p.add_argument(
        "--token-env",
        metavar="VAR",
        default=TOKEN_ENV,
        help=f"the environment variable holding the token clients must send ({TOKEN_ENV})",
    )
    p.add_argument(
        "--no-auth", action="store_true", help="accept requests without a token (demos only)"
    )
    p.add_argument(
        "--max-limit", type=int, default=MAX_LIMIT, metavar="N", help="largest page (1000)"
    )
    p.add_argument("--access-log", action="store_true", help="log every request on stderr")
    p.add_argument(
        "--follow",
        action="store_true",
        help="follow the file as it grows (rotation and truncation too; - or a pipe: what "
        "arrives): new events are served as they are written",
    )
    return p


def run_serve(argv: list[str]) -> int:
    """Check the request, listen, load the source, then serve until interrupted."""
    args = serve_parser().parse_args(argv)
    if not _has_serve_extra():
        err(
            "`audit-tui serve` needs the serve extra: pip install 'audit-tui[serve]' "
            "(starlette and uvicorn)"
        )
        return 2
    _check_numbers(args)
    token = _token(args)
    if token is None and not args.no_auth:
        return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        err(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc})")
        return 1
    from audit_tui.sources.file import SourceError, is_stream, open_source

    if args.source_option is not None:
        if args.source is not None:
            sock.close()
            raise UsageError("give SOURCE or --source, not both")
        args.source = args.source_option
    try:
        clickhouse = clickhouse_source(args)
    except UsageError:
        sock.close()
        raise
    if args.profile and not clickhouse:
        sock.close()
        raise UsageError(
            f"--profile {args.profile}: serve takes a ClickHouse profile (its url "
            "clickhouse://…); check the config file"
        )
    spec = None if args.demo else args.source
    if clickhouse:
        if args.follow:
            sock.close()
            err("following a ClickHouse table is not supported; serve it without --follow")
            return 2
        return _serve_clickhouse(spec, sock, token, args)
    from audit_tui.sources.follow import FollowError, follower_for, open_stream

    follower: Follower | None = None
    try:
        started = time.perf_counter()
        if args.follow and spec and (spec == "-" or is_stream(spec)):
            store, follower = open_stream(spec)
        else:
            store = open_source(spec, demo=args.demo or spec is None)
    except (SourceError, FollowError) as exc:
        sock.close()
        err(str(exc))
        return 2
    stop = threading.Event()
    try:
        _wait_loaded(store, started)
        if args.follow:
            try:
                follower = follower or follower_for(store)
            except FollowError as exc:
                err(str(exc))
                return 2
            threading.Thread(
                target=_follow, args=(follower, stop), name="follow", daemon=True
            ).start()
        _serve(store, sock, token, args)
    finally:
        stop.set()
        sock.close()
        if follower is not None:
            with _FOLLOW_TURN:
                follower.close()
        store.close()
    return 0


FOLLOW_POLL = 0.25  # seconds between looks at a followed file
_FOLLOW_TURN = threading.Lock()  # a poll, or the follower's close


def _follow(follower: Follower, stop: threading.Event) -> None:
    """Poll the followed source until the server stops: its new events join the store (the
    API's caches are keyed by the store's size, so the next request sees them)."""
    log = logging.getLogger("audit_tui.serve")
    while not stop.wait(FOLLOW_POLL):
        with _FOLLOW_TURN:
            if stop.is_set():
                return
            try:
                arrival = follower.poll()
            except Exception as exc:  # the server goes on with what it has
                log.error("following stopped: %s", clean(str(exc), 300))
                return
        for note in arrival.notes:
            log.warning("%s", clean(note, 300))
        if arrival.ended:
            return


def _serve_clickhouse(
    spec: str | None, sock: socket.socket, token: str | None, args: argparse.Namespace
) -> int:
    """Serve a ClickHouse table: every page, count and facet list is a query on the engine."""
    from audit_tui.clickhouse.engine import ClickHouseError

    try:
        events = open_clickhouse(spec or "", args.table, args.password_file, args.ch_profile)
    except ClickHouseError as exc:
        sock.close()
        err(str(exc))
        return 2
    try:
        _serve(events, sock, token, args)
    except ClickHouseError as exc:
        err(f"{events.label}: {exc}")
        return 1
    finally:
        sock.close()
        events.close()
    return 0


def _has_serve_extra() -> bool:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return False
    return True


def _check_numbers(args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535:
        raise UsageError("--port takes 0..65535 (see audit-tui serve --help)")
    if args.max_limit < 1:
        raise UsageError("--max-limit takes a number ≥ 1 (see audit-tui serve --help)")


def _token(args: argparse.Namespace) -> str | None:
    """The token clients must send, None for an open server; says why on stderr when there
    is none (a warning for --no-auth, an error otherwise)."""
    if args.no_auth:
        err("warning: --no-auth: anyone who can reach the port can read every event")
        return None
    token = (os.environ.get(args.token_env) or "").strip() or None
    if token is None:
        err(
            f"serve needs a token: set ${args.token_env} (or name another variable with "
            "--token-env VAR), or pass --no-auth for an open demo server"
        )
    return token


def _wait_loaded(store: Store, started: float) -> None:
    """Wait until the source is loaded, saying so (and what was skipped) on stderr."""
    from audit_tui.store import describe_skipped

    err(f"loading {store.label} …")
    store.wait()
    if store.error:
        err(f"{store.label}: {store.error}")
    if store.skipped_count:
        err(describe_skipped(store.skipped))
    took = time.perf_counter() - started
    err(f"loaded {store.total:,} events in {took:.1f} s")


def _serve(
    store: Store | ClickHouseEvents,
    sock: socket.socket,
    token: str | None,
    args: argparse.Namespace,
) -> None:
    """Warm the API up, then run uvicorn on ``sock`` until it stops; the URL is printed on
    stdout once requests are answered."""
    logging.basicConfig(level=logging.WARNING, format="audit-tui serve: %(message)s")
    if args.access_log:
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    if token is not None and args.host not in LOCAL_HOSTS:
        err(
            f"warning: serving on {args.host} over plain http: tokens cross the network "
            "unencrypted; put a TLS proxy in front"
        )
    api = AuditAPI(store, token, max_limit=args.max_limit)
    # build the first page and the facet counts now, so the first client does not wait
    api.page(QueryParams([]))
    api.facets(QueryParams([("field", "actor")]))
    # the loaded store is millions of long-lived objects: keep the collector from walking
    # them again during requests (a full pass at 1M events takes a few hundred ms)
    gc.collect()
    gc.freeze()
    auth = "no token needed" if token is None else f"token from ${args.token_env}"
    if getattr(args, "follow", False):
        auth += "; following the source as it grows"
    ready = f"serving {store.total:,} events at {url_of(sock)} ({auth})\n"

    def announce() -> None:  # the URL when requests are answered at once, not before
        sys.stdout.write(ready)
        sys.stdout.flush()

    app = create_app(api, warm_up=True, on_ready=announce)
    server = uvicorn_server(app, access_log=args.access_log, lifespan="on")
    server.run(sockets=[sock])
