"""What the export dialog runs for a view, local or remote: the job (its query, its SOURCE,
how to run it), the progress it reports and the finished export's message.

A local view's job runs :func:`audit_tui.export.export` over its store (or, for the HTML
report, :func:`audit_tui.report.write_report`); a remote view's runs
:func:`audit_tui.remote.exporting.export_remote`. Nothing here imports textual: jobs run in the
dialog's thread worker.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from audit_tui.export import ExportPlan, ExportResult, Source, size_text
from audit_tui.query import Query
from audit_tui.report import ReportPlan, write_report
from audit_tui.safe import clean

if TYPE_CHECKING:
    from audit_tui.store import Store

# (what is happening, events done, events in all or None when not known yet)
Progress = Callable[[str, int, "int | None"], None]


@dataclass(frozen=True)
class Exported:
    """A finished export, and anything the user should know about it."""

    result: ExportResult
    note: str = ""

    def message(self) -> str:
        """``Exported 1,204 events to ./x.csv (48.2 KB); manifest ./x.csv.manifest.json``"""
        r = self.result
        path = shown_path(r.path) if r.path is not None else "standard output"
        if r.fmt == "html":
            text = f"Wrote an audit report of {r.count:,} events to {path} ({size_text(r.size)})"
            return clean(text, 600)
        text = f"Exported {r.count:,} events to {path} ({size_text(r.size)})"
        if r.manifest_path is not None:
            text += f"; manifest {shown_path(r.manifest_path)}"
        if self.note:
            text += f". {self.note}"
        return clean(text, 600)


Runner = Callable[[ExportPlan, Progress, threading.Event, bool], Exported]


def run_report(store: Store) -> Runner:
    """The runner of the HTML audit report of a local view (``plan.fmt`` is ``html``)."""

    def run(plan: ExportPlan, progress: Progress, cancel: threading.Event, force: bool) -> Exported:
        def step(done: int, total: int) -> None:
            progress("Reporting", done, total)

        assert plan.path is not None
        done = write_report(
            store,
            ReportPlan(plan.path, plan.query, plan.now, plan.source),
            progress=step,
            cancel=cancel,
            force=force,
        )
        result = ExportResult(
            done.path, None, done.count, done.sha256, None, None, done.size, "html"
        )
        return Exported(result)

    return run


@dataclass(frozen=True)
class ExportJob:
    """What exporting one view takes: its query and the instant its period was resolved
    against, the SOURCE for the manifest, how many events it writes (in words, with a note),
    and how to run it (``run(plan, progress, cancel, force)``, in a worker thread)."""

    query: Query
    now: datetime
    source: Source
    count_text: str
    run: Runner
    note: str = ""
    report: Runner | None = None  # writes the HTML audit report instead (a local view's)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as the user reads it: ``./name`` for a file in the current folder."""
    p = Path(path)
    text = str(p)
    if not p.is_absolute() and p.parent == Path("."):
        text = f".{os.sep}{text}"
    return clean(text)
