"""What every subcommand shares: the parser, the usage error, the one-line error printer, the
SOURCE and filter arguments, the remote source's options, and opening a source for a query.

Messages go to stderr as one line, ``audit-tui: …``; the token is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from audit_tui.query import PERIODS, Query, QueryError, parse_when
from audit_tui.remote.errors import RemoteError, SettingsError
from audit_tui.remote.settings import RemoteSettings, is_url, plain_http_warning, resolve_settings
from audit_tui.safe import clean

if TYPE_CHECKING:
    from audit_tui.clickhouse.events import ClickHouseEvents
    from audit_tui.sources.prefilter import Candidates
    from audit_tui.store import Store


class UsageError(Exception):
    """The command line is wrong: the message is one line for the user, the exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors raise :class:`UsageError` (naming the subcommand's
    ``--help``) instead of printing the usage and exiting."""

    def __init__(self, *args: Any, sub: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sub = sub  # "query ", "export "…: the subcommand the help hint names

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see audit-tui {self.sub}--help)")

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        """SOURCE… as ``sources`` (the list) and ``source`` (the first, None when none)."""
        ns, rest = super().parse_known_args(*args, **kwargs)
        if isinstance(getattr(ns, "source", None), list):
            ns.sources = list(ns.source)
            ns.source = ns.sources[0] if ns.sources else None
        return ns, rest


def command_parser(prog: str, description: str, epilog: str, sub: str = "") -> Parser:
    """A subcommand's parser: its examples (``epilog``) printed as written."""
    return Parser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        sub=sub,
    )


def err(message: str) -> None:
    """One line on stderr: ``audit-tui: message``, sanitised (a message may quote a file name,
    an option's value or a server's words: none of their control characters reaches the
    terminal raw, nor breaks the one line)."""
    sys.stderr.write(f"audit-tui: {clean(message)}\n")


# -- SOURCE and the filters ------------------------------------------------------------------


def add_source_and_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source",
        nargs="*",
        type=source_argument,
        metavar="SOURCE",
        help="files (.jsonl .ndjson .json .csv .log, optionally .gz), folders (read "
        "recursively), quoted globs ('logs/**/*.json.gz'), - for stdin; or one http(s):// "
        "audit API URL or ClickHouse table; none = sample",
    )
    p.add_argument("--demo", action="store_true", help="use the bundled sample dataset")
    p.add_argument(
        "--input-format",
        metavar="NAME",
        help="read every non-native record as this format instead of detecting it: "
        + ", ".join(_format_names())
        + " (default: auto)",
    )
    p.add_argument(
        "--now",
        metavar="TIME",
        help="pin the clock (also $AUDIT_TUI_NOW): relative periods and the bundled sample's "
        "times are taken from it, so a demo or an export can be reproduced: "
        "--now 2026-11-20T12:00Z",
    )
    g = p.add_argument_group("filters (all combine with AND; a repeated option means OR)")
    g.add_argument(
        "--search",
        metavar="TEXT",
        default="",
        help='words that must all appear in some value, any case: --search "ada invoice"; '
        "or the search language (docs/search.md): --search 'actor:ada -type:login'",
    )
    g.add_argument(
        "--period",
        choices=list(PERIODS),
        default="all",
        help="a rolling window ending now: --period 7d",
    )
    g.add_argument(
        "--since", metavar="WHEN", help="from this time on (inclusive): --since 2026-11-01"
    )
    g.add_argument(
        "--until", metavar="WHEN", help="before this time (exclusive): --until yesterday"
    )
    g.add_argument(
        "--actor",
        action="append",
        default=[],
        metavar="V",
        help="actor id, email or name (exact, any case): --actor ada@example.com",
    )
    g.add_argument(
        "--event-type",
        action="append",
        default=[],
        metavar="V",
        help='event type: --event-type "Agent Deleted"',
    )
    g.add_argument(
        "--workspace",
        action="append",
        default=[],
        metavar="V",
        help='workspace id or name: --workspace "Finance Ops"',
    )


def parse_command(p: argparse.ArgumentParser, argv: list[str], terms: bool = False) -> Any:
    """Parse ``argv`` with ``p``: SOURCE… anywhere among the options; ``args.sources`` is the
    list, ``args.source`` the first (None: none given). With ``terms``, what follows ``--`` is
    the search language (``args.terms``), never a SOURCE."""
    after: list[str] = []
    if terms and "--" in argv:
        cut = argv.index("--")
        argv, after = argv[:cut], argv[cut + 1 :]
    args = p.parse_intermixed_args(argv)
    if terms:
        args.terms = list(args.terms or []) + after
    sources = args.sources = list(getattr(args, "sources", None) or [])
    if getattr(args, "follow", False) and is_several(args):
        raise UsageError("--follow follows one file or pipe; several files cannot be followed yet")
    if len(sources) > 1:
        from audit_tui.clickhouse.engine import is_clickhouse

        odd = next((s for s in sources if is_url(s) or is_clickhouse(s)), None)
        if odd is not None:
            raise UsageError(
                f"{odd}: an audit API or a ClickHouse table is read alone; give it as the only "
                "SOURCE"
            )
    return args


def is_several(args: argparse.Namespace) -> bool:
    """SOURCE is more than one file: several paths, a folder or a glob."""
    from audit_tui.sources.paths import is_many

    return not args.demo and is_many(getattr(args, "sources", None) or [])


def source_argument(value: str) -> str:
    """SOURCE as given; an empty one (an unset shell variable) is a usage error, never the
    bundled sample, which only ``--demo`` or no SOURCE at all gives."""
    if not value:
        raise argparse.ArgumentTypeError(
            "is empty (an unset variable?): give a file, - for standard input or a URL; "
            "--demo or no SOURCE for the bundled sample"
        )
    return value


def add_table_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--table",
        default="audit_events",
        metavar="NAME",
        help="the table of a ClickHouse source (chdb:PATH): default audit_events",
    )
    p.add_argument(
        "--password-file",
        metavar="PATH",
        help="a ClickHouse server's password, read from the file's first line (else a "
        "ClickHouse --profile's password_file, password_command or password_env, "
        "$AUDIT_TUI_CLICKHOUSE_PASSWORD_FILE, or $AUDIT_TUI_CLICKHOUSE_PASSWORD itself); "
        "never on the command line",
    )


def _format_names() -> list[str]:
    from audit_tui.sources.formats import NAMES

    return [n for n in NAMES if n != "native"]


NOW_ENV = "AUDIT_TUI_NOW"


def pinned_now(args: argparse.Namespace) -> datetime | None:
    """The time ``--now`` (or ``$AUDIT_TUI_NOW``) pins the clock to; None when not pinned."""
    spec = getattr(args, "now", None) or os.environ.get(NOW_ENV)
    if not spec:
        return None
    try:
        return parse_when(spec, datetime.now(UTC))
    except QueryError as exc:
        where = "--now" if getattr(args, "now", None) else f"${NOW_ENV}"
        raise UsageError(f"{where} {spec!r}: {exc}") from None


def clock(args: argparse.Namespace) -> datetime:
    """Now, or the pinned time."""
    return pinned_now(args) or datetime.now(UTC)


def build_query(args: argparse.Namespace) -> Query:
    return Query(
        text=args.search or "",
        period=args.period,
        since=args.since,
        until=args.until,
        actors=frozenset(args.actor),
        event_types=frozenset(args.event_type),
        workspaces=frozenset(args.workspace),
    )


# -- the remote source -----------------------------------------------------------------------


def add_remote_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "remote source (SOURCE is an http(s):// URL; the token comes from $AUDIT_TUI_TOKEN, "
        "--token-file or a profile, never from the command line)"
    )
    g.add_argument(
        "--profile", metavar="NAME", help="a profile of the config file (its url if no SOURCE)"
    )
    g.add_argument("--token-file", metavar="PATH", help="read the bearer token from this file")
    g.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="the longest a request may take, and any one read (10)",
    )
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
        raise UsageError(f"{option} is for a remote source (an http:// or https:// SOURCE)")
    return False


def refuse_file_with_profile(args: argparse.Namespace) -> None:
    """``--profile`` with a SOURCE that is a file is a usage error."""
    if args.source and not is_url(args.source):
        raise UsageError("--profile is for remote sources; SOURCE here is a file")


def settings_from(args: argparse.Namespace) -> RemoteSettings:
    return resolve_settings(
        args.source,
        profile=args.profile,
        token_file=args.token_file,
        timeout=args.timeout,
        page_size=args.page_size,
        ca_bundle=args.ca_bundle,
    )


def warn_transport(settings: RemoteSettings) -> None:
    """Warn when a token would cross the network in plain http."""
    warning = plain_http_warning(settings.url, settings.token is not None)
    if warning:
        err(warning)


def remote_exit_code(exc: RemoteError) -> int:
    """2 for settings that cannot be used as given, 1 for the server's or the network's."""
    return 2 if isinstance(exc, SettingsError) else 1


def fail(exc: RemoteError) -> int:
    """Say what went wrong with the remote source; its exit code."""
    err(str(exc))
    return remote_exit_code(exc)


# -- opening a local source ------------------------------------------------------------------


def open_for_query(args: argparse.Namespace, query: Query) -> tuple[Store, Candidates | None]:
    """Open the source; a plain JSON-lines file with search words is pre-filtered first.

    The candidates say where the kept lines are in the file (None when nothing was
    pre-filtered): :func:`report_load` puts the file's line numbers into the skipped-line
    messages."""
    from audit_tui.sources.file import open_data, open_source, sniff_file

    if is_several(args):
        from audit_tui.sources.multi import open_paths

        return open_paths(args.sources, input_format=args.input_format), None
    spec = None if args.demo else args.source
    words = query.required_words
    if (
        spec
        and spec != "-"
        and words
        and all(w.isascii() for w in words)
        and os.path.isfile(spec)
        and not spec.lower().endswith((".gz", ".csv", ".json"))
        and os.path.getsize(spec) > 8 * 1024 * 1024
    ):
        from pathlib import Path

        if sniff_file(Path(spec)) == "jsonl":
            from audit_tui.sources.prefilter import candidate_lines

            candidates = candidate_lines(spec, words)
            store = open_data(candidates.data, spec, kind="jsonl", input_format=args.input_format)
            return store, candidates
    return (
        open_source(
            spec,
            demo=args.demo or spec is None,
            input_format=args.input_format,
            now=pinned_now(args),
        ),
        None,
    )


def report_load(store: Store, candidates: Candidates | None) -> None:
    """After loading: the source's error and the skipped records, one line each on stderr
    (with the file's own line numbers when it was pre-filtered)."""
    from audit_tui.store import describe_skipped

    if store.error:
        err(f"{store.label}: {store.error}")
    if store.file_report.total:
        err(store.file_report.summary(most=10))
    skipped = store.skipped
    if candidates is not None:
        skipped = candidates.in_file(skipped)
    if skipped:
        err(describe_skipped(skipped))


def clickhouse_source(args: argparse.Namespace) -> bool:
    """True when SOURCE is a ClickHouse table (``chdb:PATH``, ``clickhouse://…``), or when
    ``--profile`` names a ClickHouse profile of the config file, whose url then is SOURCE
    unless one is given (``args.ch_profile`` keeps its name: the password comes from it)."""
    args.ch_profile = None
    if getattr(args, "demo", False):
        return False
    from audit_tui.clickhouse.engine import is_clickhouse

    name = getattr(args, "profile", None)
    if name and not is_url(args.source):
        from audit_tui.config import ConfigError, load_config

        try:
            profile = load_config().profiles.get(name)
        except ConfigError:
            profile = None  # the remote source's settings say what is wrong with the file
        if profile is not None and profile.clickhouse:
            if args.source is None:
                args.source = profile.url
            elif not is_clickhouse(args.source):
                raise UsageError(
                    f"--profile {name} names a ClickHouse server; SOURCE here is a file"
                )
            args.ch_profile = name
    return is_clickhouse(args.source)


def open_clickhouse(
    spec: str, table: str, password_file: str | None = None, profile: str | None = None
) -> ClickHouseEvents:
    """The events of a ClickHouse source (``chdb:PATH``, ``clickhouse://…``; a server's
    password from ``--password-file``, the config ``profile`` or the environment);
    ClickHouseError when the engine cannot be opened or holds no such table."""
    from audit_tui.clickhouse.engine import ClickHouseError, open_engine, table_name
    from audit_tui.clickhouse.events import ClickHouseEvents

    table_name(table)  # a plain identifier, or ClickHouseError
    engine = open_engine(spec, password_file, profile)
    events = ClickHouseEvents(engine, table)
    try:
        if not events.exists():
            raise ClickHouseError(
                f"{engine.label} has no table {table}: load one with "
                f"audit-tui load SOURCE --into {spec}"
            )
        events.upgrade()
    except ClickHouseError:
        engine.close()
        raise
    return events
