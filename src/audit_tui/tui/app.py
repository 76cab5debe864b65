"""The audit-tui browser apps and their entry points, :func:`run_browser` (a local source) and
:func:`run_remote_browser` (an audit API).

The app holds what outlives a screen: how to open the source (again, for reload), the clock
("now", fixed in tests), where exports go by default, the clipboard helper, the keys that
work everywhere and what happens on an unexpected failure (:mod:`audit_tui.tui.failures`);
screens reach these through :class:`~audit_tui.tui.services.BrowserApp`. The browsing itself
is :class:`~audit_tui.tui.screens.main.MainScreen` for a local source and
:class:`~audit_tui.tui.screens.remote.RemoteScreen` for an audit API.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.screen import Screen
from textual.worker import Worker

from audit_tui.query import Query
from audit_tui.safe import clean
from audit_tui.sources.file import SourceError
from audit_tui.sources.follow import Follower
from audit_tui.sources.follow import follower_for as default_follower
from audit_tui.store import Store
from audit_tui.tui import keys
from audit_tui.tui.clipboard import native_copy
from audit_tui.tui.failures import (
    Guarded,
    WorkerFailures,
    describe,
    log_path,
    one_line,
    reopen_command,
    write_log,
)
from audit_tui.tui.palette import SafePalette
from audit_tui.tui.screens.browser import BrowserScreen
from audit_tui.tui.screens.main import MainScreen

if TYPE_CHECKING:
    from audit_tui.remote.settings import RemoteSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


class AuditApp(Guarded, WorkerFailures, App[int]):
    """Browse the audit events of one source."""

    CSS_PATH = "app.tcss"
    TITLE = "audit-tui"
    BINDINGS = keys.APP

    def __init__(
        self,
        open_store: Callable[[], Store],
        query: Query | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        store: Store | None = None,
        native_clipboard: bool = True,
        source: str | tuple[str, ...] | None = None,
        export_folder: str | os.PathLike[str] = ".",
        log: Path | None = None,
        sort: tuple[str, bool] | None = None,
        utc: bool = True,
        input_format: str | None = None,
        columns: tuple[str, ...] | None = None,
        follow: bool = False,
        follower_for: Callable[[Store], Follower] | None = None,
    ) -> None:
        """``store`` is the store already opened (by :func:`run_browser`); without it the app
        opens one with ``open_store`` when it starts. ``source`` is the SOURCE as the user gave
        it (for export manifests; by default guessed from the store's label);
        ``export_folder`` is where the export dialog proposes to write. Unexpected failures
        are logged to ``log`` (default :func:`~audit_tui.tui.failures.log_path`)."""
        super().__init__()
        self.open_store = open_store
        self.initial_query = query or Query()
        self.now = now or utc_now
        # in a web page the host's clipboard is not the user's: OSC 52 reaches the browser's
        self.native_clipboard = native_clipboard and not in_a_page(self)
        self.source = source
        self.export_folder = export_folder
        self.initial_sort = sort
        self.initial_utc = utc
        self.input_format = input_format
        self.initial_columns = columns
        self.initial_follow = follow
        self.follower_for: Callable[[Store], Follower] = follower_for or default_follower
        self._store = store
        self.log_path = log or log_path()
        self.failures: list[str] = []  # the lines shown for unexpected failures, oldest first
        self.exit_note: str | None = None  # set when an error closes the app: where to look
        self._guarded: set[tuple[str, str]] = set()

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self._store, self.initial_query)

    def on_mount(self) -> None:
        if self._store is None:
            self.start_source()
        if not self.is_headless and not in_a_page(self) and sys.stdin is not None:
            if sys.stdin.isatty():
                self.set_interval(TERMINAL_CHECK, self._check_terminal)

    def _check_terminal(self) -> None:
        """The terminal went away (tmux killed, an SSH connection gone) without a SIGHUP
        reaching this process: quit instead of reading end-of-file from it forever."""
        if terminal_hung_up(0):
            self.exit(1)

    def start_source(self) -> None:
        """Open the source in the background (the screen shows it when it is there)."""
        self._open_first()

    @work(thread=True, group="open", exit_on_error=False)
    def _open_first(self) -> None:
        try:
            store = self.open_store()
        except SourceError as error:
            self.call_from_thread(
                self.notify,
                clean(str(error), 300),
                title="Cannot open the source",
                severity="error",
                markup=False,
                timeout=30,
            )
            return
        self.call_from_thread(self._first_store, store)

    def _first_store(self, store: Store) -> None:
        screen = self.get_screen_stack()[0] if self.screen_stack else None
        if isinstance(screen, MainScreen):
            screen.use_store(store)

    def worker_failed(self, worker: Worker[Any], error: BaseException, message: str) -> None:
        screen = self.get_screen_stack()[0] if self.screen_stack else None
        if worker.group == "open" and isinstance(screen, MainScreen):
            screen.open_failed(message)

    # -- failures ------------------------------------------------------------------------------

    def report_failure(self, error: BaseException, where: str) -> str:
        """Log ``error`` with its traceback and show one line saying so; returns the line."""
        logged = write_log(self.log_path, error, where)
        message = one_line(error, where, self.log_path, logged)
        self.failures.append(message)
        self.notify(
            message, title="Something went wrong", severity="error", markup=False, timeout=30
        )
        return message

    def guard(self, error: Exception, where: str) -> bool:
        """A handler raised ``error`` while the user browses: report it and go on."""
        if not self.is_running or self.return_code is not None:
            return False  # starting or leaving: Textual's own handling (it closes the app)
        seen = (where, describe(error))
        if seen not in self._guarded:  # a handler that fails on every tick is reported once
            self._guarded.add(seen)
            self.report_failure(error, where)
        return True

    def _handle_exception(self, error: Exception) -> None:
        # Textual closes the app after an error no guard caught (in a Textual widget, while a
        # screen is composed...). Keep the details and say how to come back on the way out.
        logged = write_log(self.log_path, error, "audit-tui (closed)")
        screen = self.browser
        query = screen.audit_query if screen is not None and screen.is_mounted else None
        command = reopen_command(self.source, query or self.initial_query)
        where = f"details in {self.log_path}" if logged else "no log written"
        self.exit_note = (
            f"audit-tui stopped after an unexpected error; {where}\n"
            f"open the same view again with: {command}"
        )
        super()._handle_exception(error)

    def action_command_palette(self) -> None:
        """Textual's palette, with page keys that are safe before its first layout."""
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(SafePalette(id="--command-palette"))

    @property
    def browser(self) -> BrowserScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, BrowserScreen):
                return screen
        return None

    # -- app-wide actions ----------------------------------------------------------------------

    def action_help(self) -> None:
        from audit_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def copy_text(self, text: str) -> None:
        """Copy ``text``: OSC 52 through the terminal, and a native tool when there is one."""
        self.copy_to_clipboard(text)
        if self.native_clipboard:
            self._native_copy(text)

    @work(thread=True, group="clipboard", exit_on_error=False)
    def _native_copy(self, text: str) -> None:
        native_copy(text)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette offers the same commands as the keys (and Textual's own)."""
        yield from super().get_system_commands(screen)
        groups: list[tuple[list[Binding], DOMNode]] = [(keys.bindings(keys.APP), self)]
        if isinstance(screen, BrowserScreen):
            groups.append((keys.bindings(keys.BROWSER), screen))
            opening = [b for b in keys.bindings(keys.TABLE) if b.action == "open"]
            groups.append((opening, screen.table))
        for bindings, target in groups:
            for binding in bindings:
                if binding.action in ("quit", "focus_table"):
                    continue
                key = self.get_key_display(binding)
                yield SystemCommand(
                    f"{binding.description}  ({key})",
                    binding.tooltip or binding.description,
                    partial(self.run_action, binding.action, target),
                )


TERMINAL_CHECK = 1.0  # seconds between looks at whether the terminal is still there


def terminal_hung_up(fd: int) -> bool:
    """Whether the terminal on ``fd`` has hung up (its other end closed): poll says so
    without reading anything."""
    import select

    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return any(events & (select.POLLHUP | select.POLLNVAL) for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False


def in_a_page(app: App[Any]) -> bool:
    """True when ``app`` is served in a web page (``audit-tui web``: textual-serve's web
    driver), where standard input carries the browser's keys and there is no terminal."""
    from textual.drivers.web_driver import WebDriver

    return issubclass(app.driver_class, WebDriver)


def _attach_terminal() -> None:
    """After the events were read from stdin, take keys from the terminal instead."""
    if sys.stdin is not None and sys.stdin.isatty():
        return
    try:
        fd = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        return
    os.dup2(fd, 0)
    os.close(fd)


class RemoteApp(AuditApp):
    """Browse an audit API: pages are loaded as the user reads (see ``docs/api.md``).

    ``now`` fixes the instant periods resolve against (tests); without it each new query
    resolves its period when it starts. ``label`` replaces the URL in the header and the
    status line (tests, where the port changes from run to run)."""

    def __init__(
        self,
        settings: RemoteSettings,
        query: Query | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        label: str | None = None,
        native_clipboard: bool = True,
        export_folder: str | os.PathLike[str] = ".",
        log: Path | None = None,
        follow: bool = False,
    ) -> None:
        super().__init__(
            _no_store,
            query,
            now=now,
            native_clipboard=native_clipboard,
            source=settings.url,
            export_folder=export_folder,
            log=log,
            follow=follow,
        )
        self.settings = settings
        self.fixed_now = now is not None
        self.label = label

    def get_default_screen(self) -> Screen[Any]:
        from audit_tui.tui.screens.remote import RemoteScreen

        now = self.now() if self.fixed_now else None
        return RemoteScreen(self.settings, self.initial_query, now=now, label=self.label)

    def start_source(self) -> None:
        pass  # the screen makes its client in this event loop


def _no_store() -> Store:
    raise SourceError("a remote source has no store")


def run_remote_browser(
    settings: RemoteSettings, query: Query, label: str | None = None, follow: bool = False
) -> int:
    """Browse the audit API ``settings`` name, starting with ``query`` (``follow``: polling
    for new events from the start); returns the exit code (1 when the user leaves because the
    server refused the token)."""
    app = RemoteApp(settings, query, label=label, follow=follow)
    app.run()
    if app.exit_note:
        print(app.exit_note, file=sys.stderr)
    return app.return_code or 0


def run_browser(
    open_store: Callable[[], Store],
    query: Query,
    now: Callable[[], datetime] | None = None,
    source: str | tuple[str, ...] | None = None,
    sort: tuple[str, bool] | None = None,
    utc: bool = True,
    input_format: str | None = None,
    columns: tuple[str, ...] | None = None,
    follow: bool = False,
    follower_for: Callable[[Store], Follower] | None = None,
) -> int:
    """Open the source and browse it; returns the exit code. ``source`` is the SOURCE as the
    user gave it (a path, ``-``, or None/"" for the sample), for export manifests. ``follow``:
    follow it from the start (``follower_for`` says how, for a pipe opened to be followed)."""
    opened: list[Store] = []

    def tracked() -> Store:
        store = open_store()
        opened.append(store)
        return store

    try:
        store = tracked()
    except SourceError as error:
        print(f"audit-tui: {clean(str(error))}", file=sys.stderr)
        return 2
    app = AuditApp(
        tracked,
        query,
        now=now,
        store=store,
        source=source,
        sort=sort,
        utc=utc,
        input_format=input_format,
        columns=columns,
        follow=follow,
        follower_for=follower_for,
    )
    if not in_a_page(app):  # the web driver's keys come through stdin: keep it
        _attach_terminal()
    try:
        app.run()
        if app.exit_note:
            print(app.exit_note, file=sys.stderr)
    finally:
        for each in opened:
            try:
                each.close()
            except Exception:  # closing on the way out never hides the exit code
                pass
    return app.return_code or 0
