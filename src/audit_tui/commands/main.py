"""``audit-tui``: pick the subcommand, and turn what goes wrong into an exit code.

Exit codes: 0 ok, 2 bad usage or input, 1 other failures, 130 interrupted. Messages are one
line on stderr; no traceback reaches the user (``AUDIT_TUI_DEBUG=1`` lets it through).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from audit_tui.commands.browse import run_browse
from audit_tui.commands.common import UsageError, err
from audit_tui.query import QueryError


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(args_list)
    except UsageError as exc:
        err(str(exc))
        return 2
    except QueryError as exc:
        err(str(exc))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("AUDIT_TUI_DEBUG"):
            raise
        err(
            f"unexpected error ({type(exc).__name__}: {exc}); "
            "run again with AUDIT_TUI_DEBUG=1 for the details, and please report it"
        )
        return 1


def _dispatch(args_list: list[str]) -> int:
    command = args_list[0] if args_list else None
    if command == "query":
        from audit_tui.commands.query import run_query

        return run_query(args_list[1:])
    if command == "export":  # imported when used: the other commands start without it
        from audit_tui.commands.export import run_export

        return run_export(args_list[1:])
    if command == "load":
        from audit_tui.commands.load import run_load

        return run_load(args_list[1:])
    if command == "report":
        from audit_tui.commands.report import run_report

        return run_report(args_list[1:])
    if command == "serve":
        from audit_tui.commands.serve import run_serve

        return run_serve(args_list[1:])
    if command == "web":
        from audit_tui.commands.web import run_web

        return run_web(args_list[1:])
    return run_browse(args_list)


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
