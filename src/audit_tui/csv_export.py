"""The CSV of a view: the one writer of ``audit-tui export``, ``query --format csv`` and the
export dialog.

From a store, a native record's time and event type come from the index, and the rest from
one typed decode of the record that parses only ``metadata`` (:class:`output.NativeCells`); a
foreign record is read into its row (:func:`output.csv_cells`). The bytes are those of the
row-by-row writer (tests/test_csv_export.py). A source of several files adds each event's
file and line.

Rows are made :data:`STEP` at a time. A big export from the command line (no other thread
running, so ``fork`` is safe) shares the batches among two forked processes, which inherit
the store as it is; the batches come back in order, at most :data:`WINDOW` ahead of the
writing, so memory stays flat.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, Any

import numpy as np

from audit_tui import output
from audit_tui.model import iso_times
from audit_tui.safe import clean
from audit_tui.store import Store

STEP = 1000  # rows a batch (progress and cancel are checked between batches)
FORK_ROWS = 50_000  # exports at least this big are shared among forked processes
WINDOW = 8  # batches asked for ahead of the writing, per process


class Cancelled(Exception):
    """The export was cancelled between two batches."""


def origin_columns(source: Any) -> bool:
    """True when the CSV of ``source`` ends with the file and line columns (a store of
    several files)."""
    return isinstance(source, Store) and source.file_count > 1


def write_csv(
    out: IO[str],
    source: Any,
    events: Any,
    *,
    terminal: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    processes: int | None = None,
    step: int = STEP,
) -> int:
    """Write the header and the rows of ``events`` (load indices, newest first: see
    ``Result.events``) of ``source`` (a store, or anything that reads ``event_row`` and
    ``event_raw``); the number of rows. ``terminal``: every cell goes through the sanitiser
    too. ``processes``: how many forked processes make the rows (default: two for a big
    export when forking is safe);
    ``step``: rows a batch (progress and cancel are checked between batches)."""
    header = output.CSV_COLUMNS + (output.ORIGIN_COLUMNS if origin_columns(source) else ())
    out.write(output.csv_line(header))
    events = np.asarray(events, dtype=np.int64)
    total = len(events)
    batches = [events[i : i + step] for i in range(0, total, step)]
    workers = _workers(source, total) if processes is None else processes
    chunks = (
        _forked(source, batches, terminal, workers)
        if workers > 1 and len(batches) > 1
        else (_text(source, b, terminal) for b in batches)
    )
    done = 0
    try:
        for batch, text in zip(batches, chunks, strict=False):
            if cancel is not None and cancel.is_set():
                raise Cancelled
            out.write(text)
            done += len(batch)
            if progress is not None:
                progress(done, total)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    if cancel is not None and cancel.is_set():
        raise Cancelled
    return total


def _workers(source: Any, total: int) -> int:
    """Two forked processes for a big export of a store when forking is safe: on Linux, with
    this thread the only one (the command line; the browser has others: one process there)."""
    if not isinstance(source, Store) or total < FORK_ROWS or sys.platform != "linux":
        return 1
    if threading.active_count() > 1:
        return 1
    return min(2, os.cpu_count() or 1)


def _text(source: Any, batch: np.ndarray, terminal: bool) -> str:
    lines = _cells(source, batch)
    if terminal:
        lines = [[clean(c) for c in cells] for cells in lines]
    return "".join([output.csv_line(cells) for cells in lines])


_native: output.NativeCells | None = None  # one per process: its cache of parties


def _cells(source: Any, batch: np.ndarray) -> list[list[str]]:
    """The cells of each event of ``batch`` (load indices)."""
    global _native
    if _native is None:
        _native = output.NativeCells()
    native = _native
    store = source if isinstance(source, Store) else None
    if store is None:
        return [output.csv_cells(source.event_row(e), source.event_raw(e)) for e in batch.tolist()]
    ms, types = store.event_times_and_types(batch)
    times = iso_times(ms)
    raws = store.event_raws(batch)
    rows = []
    for i, e in enumerate(batch.tolist()):
        raw = raws[i]
        cells = native.cells(raw, times[i], types[i])
        if cells is None:
            cells = output.csv_cells(store.event_row(e), raw)
        rows.append(cells)
    if origin_columns(store):
        names = store.file_names()
        files, lines = store.event_origins(batch)
        for cells, f, line in zip(rows, files.tolist(), lines.tolist(), strict=True):
            cells += [output.neutralise(names[f]), str(line) if line else ""]
    return rows


# -- forked processes ---------------------------------------------------------------------------

_FORKED: tuple[Any, bool] | None = None  # (source, terminal): what a forked process inherits


def _forked_text(batch: np.ndarray) -> str:
    assert _FORKED is not None
    source, terminal = _FORKED
    return _text(source, batch, terminal)


def _forked(source: Any, batches: list[np.ndarray], terminal: bool, workers: int) -> Iterator[str]:
    """The text of each batch, in order, made by ``workers`` forked processes."""
    global _FORKED
    _FORKED = (source, terminal)
    pool = mp.get_context("fork").Pool(workers)
    _FORKED = None  # (the children have it; this process needs it no more)
    try:
        pending: deque[Any] = deque()
        ahead = iter(batches)
        for batch in ahead:
            pending.append(pool.apply_async(_forked_text, (batch,)))
            if len(pending) >= WINDOW * workers:
                break
        while pending:
            text = pending.popleft().get()
            nxt = next(ahead, None)
            if nxt is not None:
                pending.append(pool.apply_async(_forked_text, (nxt,)))
            yield text
    finally:
        pool.terminate()
        pool.join()
