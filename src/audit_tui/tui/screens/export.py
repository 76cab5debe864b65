"""The export dialog: the current view to a CSV, JSON or JSON lines file, with its manifest.

The user picks a format and a path (``./audit-export-YYYYmmdd-HHMMSS.<ext>`` by default, the
extension following the format until the path is edited). The export runs in a thread worker
with a progress bar; escape or Cancel stops it and nothing is left behind. An existing file is
replaced only after a confirmation. Problems (:class:`~audit_tui.export.ExportError`) are shown
in the dialog, which stays open so the path can be fixed.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, ProgressBar, RadioButton, RadioSet, Static
from textual.worker import Worker

from audit_tui.export import (
    ExportError,
    ExportPlan,
    default_path,
    format_for_path,
    manifest_path_for,
)
from audit_tui.export_job import Exported, ExportJob, shown_path
from audit_tui.report import default_path as report_path
from audit_tui.safe import clean
from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded, WorkerFailures
from audit_tui.tui.format import thousands

FORMATS = (
    ("csv", "CSV", "the table's columns, formulas neutralised: for spreadsheets"),
    ("json", "JSON", "one array of the original records, each unchanged"),
    ("jsonl", "JSON lines", "one original record a line, byte for byte"),
)
REPORT = (
    "html",
    "HTML report",
    "an audit report to read and send: summary, privileged actions, failures, changes, "
    "every event; one file, no script",
)
NAMES = {key: name for key, name, _ in (*FORMATS, REPORT)}
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")


def plain_name(value: str) -> bool:
    """A file name with no folder in it, nothing hidden, of letters, digits and ``. _ + -``
    (a web page's export is downloaded under it, in a header that textual-serve does not
    quote)."""
    return PLAIN_NAME.fullmatch(value) is not None


class ExportScreen(Guarded, WorkerFailures, ModalScreen[Exported | None]):
    """Ask where and how to export ``job``'s view, then run it; dismiss with the result, or
    None when closed or cancelled."""

    BINDINGS = keys.EXPORT

    def __init__(
        self,
        job: ExportJob,
        *,
        now: datetime,
        folder: str | os.PathLike[str] = ".",
        names_only: bool = False,
    ) -> None:
        """``names_only``: the file goes into ``folder`` and the user gives only its name (in a
        web page, where the user is not on the host the file is written on)."""
        super().__init__()
        self.job = job
        self.now = now
        self.folder = folder
        self.names_only = names_only
        self.formats = (*FORMATS, REPORT) if job.report is not None else FORMATS
        self.fmt = self.formats[0][0]
        self._auto = self._default(self.fmt)
        self._cancel: threading.Event | None = None

    def _default(self, fmt: str) -> str:
        if fmt == REPORT[0]:
            path = report_path(self.now, self.folder)
        else:
            path = default_path(fmt, self.now, self.folder)
        return path.name if self.names_only else shown_path(path)

    @property
    def running(self) -> bool:
        return self._cancel is not None

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog") as dialog:
            dialog.border_title = "Export events"
            yield Static(self._what(), id="export-what")
            with Horizontal(classes="export-row"):
                yield Label("Format", classes="export-label")
                with RadioSet(id="export-format", compact=True):
                    for i, (_, name, _) in enumerate(self.formats):
                        yield RadioButton(name, value=i == 0)
            yield Label("", id="export-format-note", classes="export-note", markup=False)
            with Horizontal(classes="export-row"):
                yield Label("File", classes="export-label")
                yield Input(self._auto, id="export-path")
            yield Label("", id="export-path-note", classes="export-note", markup=False)
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Label("", id="export-status", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-start")
                yield Button("Cancel", id="export-cancel")
        yield Footer()

    def _what(self) -> Text:
        text = Text()
        text.append(clean(self.job.count_text, 200), "bold")
        text.append(" of the current view, newest first")
        summary = clean(self.job.query.summary(), 200)
        text.append("\n")
        text.append(summary or "no search or filter: every event", "italic")
        if self.job.note:
            text.append("\n" + clean(self.job.note, 200), "dim")
        return text

    def on_mount(self) -> None:
        self.query_one("#export-progress").display = False
        self.query_one(RadioSet).focus()
        self._notes()

    @property
    def path_input(self) -> Input:
        return self.query_one("#export-path", Input)

    def _notes(self) -> None:
        note = next(d for key, _, d in self.formats if key == self.fmt)
        self.query_one("#export-format-note", Label).update(Text(note))
        value = self.path_input.value.strip()
        if not value:
            text = "give a file name"
        elif self.fmt == REPORT[0]:
            text = "one self-contained HTML file (no manifest: the events' SHA-256 is inside)"
        else:
            text = f"with its manifest {Path(value).name}.manifest.json"
            wanted = format_for_path(value)
            if wanted is not None and wanted != self.fmt:
                text = f"the name ends like {NAMES[wanted]}, the format is {NAMES[self.fmt]}"
        self.query_one("#export-path-note", Label).update(Text(clean(text, 200)))

    # -- choices -------------------------------------------------------------------------------

    @on(RadioSet.Changed, "#export-format")
    def _format(self, event: RadioSet.Changed) -> None:
        self.fmt = self.formats[event.index][0]
        if self.path_input.value == self._auto:  # not edited: the extension follows
            self._auto = self._default(self.fmt)
            self.path_input.value = self._auto
        self._notes()

    @on(Input.Changed, "#export-path")
    def _path_changed(self) -> None:
        self._notes()
        self._status("")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export" and isinstance(self.focused, Button):
            return False  # enter presses the focused button (Cancel cancels)
        return super().check_action(action, parameters)

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-start")
    def action_export(self) -> None:
        if self.running:
            return
        value = self.path_input.value.strip()
        if not value:
            self._status("Give a file name.", error=True)
            return
        if self.names_only:
            if not plain_name(value):
                self._status(
                    "In a web page the file is written in the server's export folder, then "
                    "downloaded: give a file name without a folder (letters, digits, . _ + -).",
                    error=True,
                )
                return
            path = Path(self.folder) / value
        else:
            path = Path(value).expanduser()
        named = (path,) if self.fmt == REPORT[0] else (path, manifest_path_for(path))
        taken = [p for p in named if os.path.lexists(p)]
        if not taken:
            self._begin(path, force=False)
            return
        from audit_tui.tui.screens.confirm import ConfirmScreen

        names = " and ".join(shown_path(p) for p in taken)
        verb = "exist" if len(taken) > 1 else "exists"

        def answer(yes: bool | None) -> None:
            if yes:
                self._begin(path, force=True)
            else:
                self._status("Nothing written: choose another name, or Export and replace.")
                self.path_input.focus()

        self.app.push_screen(
            ConfirmScreen(
                f"{names} already {verb}. Replace {'them' if len(taken) > 1 else 'it'}?",
                yes="Replace",
                no="Keep",
            ),
            answer,
        )

    # -- running -------------------------------------------------------------------------------

    def _begin(self, path: Path, force: bool) -> None:
        job = self.job
        plan = ExportPlan(path=path, fmt=self.fmt, query=job.query, now=job.now, source=job.source)
        self._cancel = threading.Event()
        self._lock(True)
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._status("Starting…")
        self._work(plan, self._cancel, force)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _work(self, plan: ExportPlan, cancel: threading.Event, force: bool) -> None:
        run = self.job.report if plan.fmt == REPORT[0] else None
        try:
            exported = (run or self.job.run)(plan, self._progress, cancel, force)
        except ExportError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._finished, exported)

    def _progress(self, what: str, done: int, total: int | None) -> None:
        """From the worker thread: show how far it got."""
        self.app.call_from_thread(self._show_progress, what, done, total)

    def _show_progress(self, what: str, done: int, total: int | None) -> None:
        if self._cancel is None or self._cancel.is_set():
            return
        self.query_one("#export-progress", ProgressBar).update(total=total, progress=done)
        of = f" of {thousands(total)}" if total is not None else ""
        self._status(f"{what} {thousands(done)}{of} events…")

    def worker_failed(self, worker: Worker[Any], error: BaseException, message: str) -> None:
        """An unexpected error stopped the export (the app logged it): the dialog says so and
        stays open."""
        if worker.group == "export":
            self._failed(f"export failed: {type(error).__name__}: {error}; nothing written")

    def _failed(self, message: str) -> None:
        cancelled = self._cancel is not None and self._cancel.is_set()
        self._cancel = None
        self._lock(False)
        self.query_one("#export-progress").display = False
        if cancelled:
            self.notify("Export cancelled: nothing written.", markup=False)
            self.dismiss(None)
            return
        self._status(message, error=True)
        self.path_input.focus()

    def _finished(self, exported: Exported) -> None:
        self._cancel = None
        self.dismiss(exported)

    def _lock(self, running: bool) -> None:
        for widget in self.query("#export-format, #export-path, #export-start"):
            widget.disabled = running
        self.query_one("#export-cancel", Button).label = "Stop" if running else "Cancel"
        if running:
            self.query_one("#export-cancel", Button).focus()

    def _status(self, message: str, error: bool = False) -> None:
        label = self.query_one("#export-status", Label)
        label.update(Text(clean(message, 400)))
        label.set_class(error, "-error")

    # -- leaving -------------------------------------------------------------------------------

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._status("Stopping…")
            return
        self.dismiss(None)

    def on_click(self, event: events.Click) -> None:
        if event.widget is self and not self.running:  # a click outside the dialog
            self.dismiss(None)

    def on_unmount(self) -> None:
        if self._cancel is not None:  # the app is closing: stop, leave nothing behind
            self._cancel.set()
