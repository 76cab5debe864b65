"""What a screen may ask of the app that runs it, as a typed protocol.

Screens and dialogs never import the app (the app imports them): they reach what outlives a
screen through :func:`app_of`, typed by :class:`BrowserApp`, which
:class:`~audit_tui.tui.app.AuditApp` and :class:`~audit_tui.tui.app.RemoteApp` satisfy.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

from textual.dom import DOMNode

from audit_tui.sources.follow import Follower
from audit_tui.store import Store


@runtime_checkable
class BrowserApp(Protocol):
    """The app's side of a screen: the clock, the source, exports, clipboard, failures."""

    now: Callable[[], datetime]  # "now" for periods and export names (fixed in tests)
    source: str | None  # the SOURCE as the user gave it (None: guessed from the store)
    export_folder: str | os.PathLike[str]  # where the export dialog proposes to write
    open_store: Callable[[], Store]  # opens the local source (again, for reload)
    initial_sort: tuple[str, bool] | None  # the table's order at start (--sort, --view)
    initial_utc: bool  # times in UTC at start (False: --local-time)
    input_format: str | None  # --input-format, for saved views and the reopen command
    initial_follow: bool  # follow the source from the start (--follow)
    follower_for: Callable[[Store], Follower]  # how the source is followed (F)

    def copy_text(self, text: str) -> None:
        """Copy ``text`` to the clipboard."""

    def report_failure(self, error: BaseException, where: str) -> str:
        """Log ``error`` with its traceback, show one line, and return that line."""

    def guard(self, error: Exception, where: str) -> bool:
        """Report an unexpected ``error`` of a handler; False when the app cannot go on."""


def app_of(node: DOMNode) -> BrowserApp:
    """The app running ``node``, as what screens may ask of it."""
    app = node.app
    if not isinstance(app, BrowserApp):
        raise TypeError(f"{type(app).__name__} is not an audit-tui app")
    return app
