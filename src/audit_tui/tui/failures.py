"""What the browser does when something fails that nobody planned for.

Two kinds of failure reach here. A worker (a search, a page of an audit API, an export) that
raises something its own code does not catch ends in ``Worker.StateChanged`` with the ERROR
state: :class:`WorkerFailures` turns that into one handler per node that runs workers. A
handler of a key, a click or a message that raises is caught by :class:`Guarded` (the app,
its screens and its widgets) instead of closing the app. Either way the traceback is appended
to the log file (:func:`log_path`), one sanitised line says what happened and where the
details are, and the screen stays usable.

What Textual does not let us survive (an error while a screen is composed or mounted, or in one
of Textual's own widgets) still closes the app; :func:`reopen_command` gives the command line
that opens the same view again, printed on the way out with the log's path.
"""

from __future__ import annotations

import inspect
import os
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import platformdirs
from textual.message import Message
from textual.worker import Worker, WorkerState

from audit_tui.query import Query
from audit_tui.safe import clean
from audit_tui.tui.services import app_of
from audit_tui.views import View, command_line

if TYPE_CHECKING:
    from textual.dom import DOMNode

STATE_DIR_ENV = "AUDIT_TUI_STATE_DIR"  # a folder for the log instead of the user state dir
LOG_NAME = "audit-tui.log"
SHOWN = 300  # characters of the one line shown


def log_path() -> Path:
    """``$AUDIT_TUI_STATE_DIR/audit-tui.log``, else the log in the platform's user state dir
    (``~/.local/state/audit-tui/audit-tui.log`` on Linux)."""
    folder = os.environ.get(STATE_DIR_ENV)
    base = Path(folder).expanduser() if folder else platformdirs.user_state_path("audit-tui")
    return base / LOG_NAME


def write_log(path: Path, error: BaseException, where: str) -> bool:
    """Append ``error``'s traceback to ``path``, every line made safe to ``cat`` in a terminal
    (an error message can quote an event's text); False when the file cannot be written."""
    lines = "".join(traceback.format_exception(error)).rstrip("\n").split("\n")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    text = f"--- {stamp} {clean(where)}\n" + "\n".join(clean(line) for line in lines) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(text)
    except OSError:
        return False
    return True


def one_line(error: BaseException, where: str, path: Path, logged: bool) -> str:
    """``something went wrong in MainScreen.search: RuntimeError: boom; details in …``"""
    details = f"details in {path}" if logged else f"no details: {path} cannot be written"
    return clean(f"something went wrong in {where}: {describe(error)}; {details}", SHOWN)


def describe(error: BaseException) -> str:
    message = str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def reopen_command(
    source: str | tuple[str, ...] | None,
    query: Query,
    sort: tuple[str, bool] | None = None,
    utc: bool = True,
    input_format: str | None = None,
) -> str:
    """The command line that opens ``source`` at ``query`` again (None or "": the sample),
    shell-quoted and shown safely (see :func:`audit_tui.views.command_line`)."""
    view = View.of("", source, query, sort=sort, utc=utc, input_format=input_format)
    return clean(command_line(view))


class WorkerFailures:
    """The one handler for workers that run with ``exit_on_error=False``: a worker of this
    node that ends in error is reported (logged, one line shown) and then
    :meth:`worker_failed` lets the node recover (replace its "connecting…", unlock a dialog).

    Mixed into every node that runs workers: the app and the screens."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.node is not cast(object, self):
            return
        error = worker.error
        if not isinstance(error, BaseException):
            return
        where = f"{type(self).__name__}.{worker.name}"
        message = app_of(cast("DOMNode", self)).report_failure(error, where)
        self.worker_failed(worker, error, message)

    def worker_failed(self, worker: Worker[Any], error: BaseException, message: str) -> None:
        """Put the node back in a usable state after ``worker`` failed (``message`` is shown)."""


class Guarded:
    """Mixed into the app, its screens and its widgets (before the Textual class): an exception
    in one of their handlers is reported and the app keeps its view, instead of closing.

    Textual dispatches every event and message of a node through ``_on_message`` (and an
    exception that leaves it closes the app), so that is where the guard sits; textual 8.2.8.
    The app's guard covers the keys and their actions, whichever screen is shown, the command
    palette's included."""

    async def _on_message(self, message: Message) -> None:
        try:
            await super()._on_message(message)  # type: ignore[misc]
        except Exception as error:
            where = f"{type(self).__name__}.{message.handler_name}"
            if not app_of(cast("DOMNode", self)).guard(error, where):
                raise

    def guarded(self, callback: Callable[[], object], what: str) -> Callable[[], Awaitable[None]]:
        """``callback`` for a timer, guarded like a handler (Textual closes the app when a
        timer's callback raises)."""

        async def run() -> None:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception as error:
                where = f"{type(self).__name__}.{what}"
                if not app_of(cast("DOMNode", self)).guard(error, where):
                    raise

        return run
