"""Exporting a remote view (an audit API): its events, written by :mod:`audit_tui.export`.

Every matching page is fetched into an anonymous spool file beside the destination (gone when
closed, even after a crash), and the spool is exported through a small store-like reader the
way a local view's store is, so both kinds of export are atomic, hashed and given the same
manifest. Nothing here imports textual: jobs run in the dialog's thread worker.
"""

from __future__ import annotations

import os
import tempfile
import threading
from array import array
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import orjson

from audit_tui.export import ExportError, ExportPlan, check_destination, export
from audit_tui.export_job import Exported, Progress
from audit_tui.model import InvalidRecord, Row, flatten
from audit_tui.query import Query
from audit_tui.sources.formats import normalise
from audit_tui.store import Result

if TYPE_CHECKING:
    from audit_tui.remote.settings import RemoteSettings

FETCH_PAGE = 1000  # events per request when fetching a remote view for an export (the maximum)


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

    # an export reads events by load index (see Result.events); here positions never move
    event_raw = raw
    event_row = row


class _Spool:
    """Valid events appended to a file as the server sent them, with where each one is; the
    invalid ones are only counted."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.starts: array[int] = array("q")
        self.lengths: array[int] = array("q")
        self.offset = 0
        self.skipped = 0
        self.undecodable: list[str] = []  # events the client could not decode, and why

    def add(self, raw: bytes, record: Any) -> None:
        if not _valid(record):
            self.skipped += 1
            return
        self.f.write(raw)
        self.starts.append(self.offset)
        self.lengths.append(len(raw))
        self.offset += len(raw)

    @property
    def seen(self) -> int:
        return len(self.starts) + self.skipped + len(self.undecodable)

    def events(self) -> SpooledEvents:
        self.f.flush()
        return SpooledEvents(self.f, self.starts, self.lengths)


def export_remote(
    settings: RemoteSettings,
    plan: ExportPlan,
    progress: Progress,
    cancel: threading.Event,
    force: bool,
    on_wait: Callable[[str], None] | None = None,
) -> Exported:
    """Fetch every page of ``plan.query`` (its period resolved at ``plan.now``, as the view
    was) and export them. Events that are not valid (no ``audited_at``/``event_type``) or
    cannot be decoded are left out and counted in the note; ``on_wait`` hears of long waits
    before another attempt. Raises :class:`ExportError` only."""
    assert plan.path is not None
    path = Path(plan.path)
    check_destination(path, plan, force)
    try:
        f = tempfile.TemporaryFile(dir=path.parent, prefix=".audit-export-", suffix=".spool")
    except OSError as exc:
        raise ExportError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    with f:
        spool = _Spool(f)
        _fetch(settings, plan, spool, progress, cancel, path.parent, on_wait)

        def step(done: int, total: int) -> None:
            progress("Writing", done, total)

        events = spool.events()
        result = export(events, plan, progress=step, cancel=cancel, force=force)  # type: ignore[arg-type]
    return Exported(result, _left_out(spool.skipped, spool.undecodable))


def _fetch(
    settings: RemoteSettings,
    plan: ExportPlan,
    spool: _Spool,
    progress: Progress,
    cancel: threading.Event,
    folder: Path,
    on_wait: Callable[[str], None] | None = None,
) -> None:
    """Every page of the query into ``spool`` (a file in ``folder``), the largest pages the
    server allows."""
    from audit_tui.remote.client import query_params
    from audit_tui.remote.errors import RemoteError
    from audit_tui.remote.sync import SyncRemoteClient

    params = query_params(plan.query, plan.now)
    client = SyncRemoteClient.from_settings(settings, on_wait=on_wait)
    try:
        pages = client.pages(params, page_size=max(settings.page_size, FETCH_PAGE))
        try:
            progress("Fetching", 0, None)
            for number, page in enumerate(pages, 1):
                spool.undecodable += [f"page {number}, {why}" for why in page.skipped]
                for raw, record in zip(page.raws, page.records, strict=True):
                    spool.add(raw, record)  # as the server sent it
                progress("Fetching", spool.seen, page.total)
                if cancel.is_set():
                    raise ExportError("export cancelled: nothing written")
        finally:
            pages.close()
    except RemoteError as exc:
        raise ExportError(f"fetching the events failed: {exc}; nothing written") from None
    except OSError as exc:
        raise ExportError(
            f"cannot write in {folder}: {exc.strerror or exc}; nothing written"
        ) from None
    finally:
        client.close()


def _left_out(skipped: int, undecodable: list[str]) -> str:
    notes = []
    if skipped:
        noun = "event" if skipped == 1 else "events"
        notes.append(f"Left out {skipped:,} {noun} without a valid audited_at or event_type")
    if undecodable:
        from audit_tui.remote.client import describe_undecodable

        text = describe_undecodable(undecodable)
        notes.append(text[0].upper() + text[1:])
    return "; ".join(notes)


def _valid(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    try:
        flatten(normalise(record))
    except (InvalidRecord, ValueError, TypeError):
        return False
    return True
