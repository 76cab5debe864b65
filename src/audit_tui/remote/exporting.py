"""What the export dialog runs: the events of the current view, written by :mod:`audit_tui.export`.

A local view is exported by :func:`audit_tui.export.export` over its store. A remote view
(an audit API) is fetched page by page into an anonymous spool file beside the destination
(gone when closed, even after a crash), and the spool is exported the same way through a
small store-like reader, so both kinds of export are atomic, hashed and given the same
manifest. Nothing here imports textual: jobs run in the dialog's thread worker.
"""

from __future__ import annotations

import os
import tempfile
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import orjson

from audit_tui.export import (
    ExportError,
    ExportPlan,
    ExportResult,
    check_destination,
    export,
    size_text,
)
from audit_tui.model import InvalidRecord, Row, flatten
from audit_tui.query import Query
from audit_tui.safe import clean
from audit_tui.sources.formats import normalise
from audit_tui.store import Result

if TYPE_CHECKING:
    from audit_tui.remote.settings import RemoteSettings

# (what is happening, events done, events in all or None when not known yet)
Progress = Callable[[str, int, "int | None"], None]
FETCH_PAGE = 1000  # events per request when fetching a remote view for an export (the maximum)


@dataclass(frozen=True)
class Exported:
    """A finished export, and anything the user should know about it."""

    result: ExportResult
    note: str = ""

    def message(self) -> str:
        """``Exported 1,204 events to ./x.csv (48.2 KB); manifest ./x.csv.manifest.json``"""
        r = self.result
        path = shown_path(r.path) if r.path is not None else "standard output"
        text = f"Exported {r.count:,} events to {path} ({size_text(r.size)})"
        if r.manifest_path is not None:
            text += f"; manifest {shown_path(r.manifest_path)}"
        if self.note:
            text += f". {self.note}"
        return clean(text, 600)


Runner = Callable[[ExportPlan, Progress, threading.Event, bool], Exported]


@dataclass(frozen=True)
class ExportJob:
    """What exporting one view takes: its query and the instant its period was resolved
    against, the SOURCE for the manifest, how many events it writes (in words, with a note),
    and how to run it (``run(plan, progress, cancel, force)``, in a worker thread)."""

    query: Query
    now: datetime
    source: str | None
    count_text: str
    run: Runner
    note: str = ""


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as the user reads it: ``./name`` for a file in the current folder."""
    p = Path(path)
    text = str(p)
    if not p.is_absolute() and p.parent == Path("."):
        text = f".{os.sep}{text}"
    return clean(text)


# -- remote views ---------------------------------------------------------------------------


class SpooledEvents:
    """Fetched events in a file, read the way :func:`export` reads a store: every position,
    in the server's order (the query was applied by the server)."""

    error: str | None = None
    loading = False

    def __init__(self, f: IO[bytes], starts: array[int], lengths: array[int]) -> None:
        self._fd = f.fileno()
        self._starts = starts
        self._lengths = lengths

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def search(self, query: Query, now: datetime | None = None) -> Result:
        n = len(self._starts)
        return Result(np.arange(n, dtype=np.int64), n)

    def raw(self, position: int) -> bytes:
        return os.pread(self._fd, self._lengths[position], self._starts[position])

    def row(self, position: int) -> Row:
        return flatten(normalise(orjson.loads(self.raw(position))))


def export_remote(
    settings: RemoteSettings,
    plan: ExportPlan,
    progress: Progress,
    cancel: threading.Event,
    force: bool,
) -> Exported:
    """Fetch every page of ``plan.query`` (its period resolved at ``plan.now``, as the view
    was) and export them. Events that are not valid (no ``audited_at``/``event_type``) are
    left out and counted in the note. Raises :class:`ExportError` only."""
    from audit_tui.remote.client import query_params
    from audit_tui.remote.errors import RemoteError

    assert plan.path is not None
    path = Path(plan.path)
    check_destination(path, plan, force)
    params = query_params(plan.query, plan.now)
    starts: array[int] = array("q")
    lengths: array[int] = array("q")
    skipped = 0
    try:
        spool = tempfile.TemporaryFile(dir=path.parent, prefix=".audit-export-", suffix=".spool")
    except OSError as exc:
        raise ExportError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    with spool:
        client = settings.sync_client()
        try:
            pages = client.pages(params, page_size=max(settings.page_size, FETCH_PAGE))
            try:
                offset = 0
                progress("Fetching", 0, None)
                for page in pages:
                    for raw, record in zip(page.raws, page.records, strict=True):
                        if not _valid(record):
                            skipped += 1
                            continue
                        spool.write(raw)  # as the server sent it
                        starts.append(offset)
                        lengths.append(len(raw))
                        offset += len(raw)
                    progress("Fetching", len(starts) + skipped, page.total)
                    if cancel.is_set():
                        raise ExportError("export cancelled: nothing written")
            finally:
                pages.close()
        except RemoteError as exc:
            raise ExportError(f"fetching the events failed: {exc}; nothing written") from None
        except OSError as exc:
            raise ExportError(
                f"cannot write in {path.parent}: {exc.strerror or exc}; nothing written"
            ) from None
        finally:
            client.close()
        spool.flush()
        events = SpooledEvents(spool, starts, lengths)

        def step(done: int, total: int) -> None:
            progress("Writing", done, total)

        result = export(events, plan, progress=step, cancel=cancel, force=force)  # type: ignore[arg-type]
    note = ""
    if skipped:
        noun = "event" if skipped == 1 else "events"
        note = f"Left out {skipped:,} {noun} without a valid audited_at or event_type"
    return Exported(result, note)


def _valid(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    try:
        flatten(normalise(record))
    except (InvalidRecord, ValueError, TypeError):
        return False
    return True
