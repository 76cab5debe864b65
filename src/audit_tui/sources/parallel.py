"""Load a big JSON-lines file with worker processes that then keep serving text search.

The file is cut in two at a line boundary. One worker indexes the first half from its start, the
other the second half from its *end* backwards, so both the oldest and the newest events of a
file in time order (either direction) arrive first. Each worker sends compact column blocks to
the parent and keeps the search texts of its events; after loading it answers ``match``
requests for its share, so a full text scan uses every core.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from typing import Any

import numpy as np

from audit_tui.sources import lines
from audit_tui.sources.blocks import MAX_LINE_BYTES, BlockIndexer
from audit_tui.textindex import TextBlob

FIRST_BLOCK = 256 * 1024
BLOCK = 4 * 1024 * 1024
IDLE_PAUSE = 0.1  # seconds after a search before the idle work goes on (its count follows)
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc)


@functools.cache
def _libc() -> Any:
    """The C library's functions (those of the running process: no library search)."""
    import ctypes

    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def map_big_blocks() -> None:
    """From now on, let every allocation of 512 KB or more get pages of its own, given back
    when freed. glibc otherwise raises its threshold to the size of the biggest block freed
    (the 4 MB blocks while loading, which is why this is set only after) and keeps the texts
    made in idle time in a heap that only :func:`give_back_memory` can shrink."""
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(_M_MMAP_THRESHOLD, 512 * 1024)


def give_back_memory() -> None:
    """Return the free pages inside the heap to the system (after the idle work)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def worker_main(
    conn: Connection,
    path: str,
    start: int,
    end: int,
    backwards: bool,
    forced: str | None,
    max_line: int = MAX_LINE_BYTES,
) -> None:
    texts = TextBlob()
    try:
        indexer = BlockIndexer(forced, max_line)
        read = lines.backward if backwards else lines.forward
        with open(path, "rb") as f:
            for offset, nbytes, data in read(f, start, end, BLOCK, max_line, FIRST_BLOCK):
                if data is None:
                    result, block_texts = indexer.long_line(offset)
                else:
                    result, block_texts = indexer.index_block(data, offset)
                texts.add(block_texts)
                conn.send(("block", result, nbytes))
        conn.send(("done", len(texts)))
    except Exception as exc:  # reported to the parent, which keeps what arrived
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    serve_searches(conn, texts)


def serve_searches(conn: Connection, texts: TextBlob) -> None:
    """After loading: answer the parent's searches over ``texts`` until it closes. The idle
    work waits for the parent's word that every worker has loaded (it would take a core from
    a worker still loading)."""
    idle_work = started = False
    steps = 0
    map_big_blocks()
    try:  # idle work and searches must not take the cores from the browser's own thread
        os.nice(5)
    except OSError:
        pass
    last_request = last_step = 0.0
    while True:
        # Between requests, one step of idle work at a time (see TextBlob.idle_step); the
        # memory of the texts it replaced is given back as it goes. A search's first page is
        # followed by its count, and typing by more searches: none then for IDLE_PAUSE.
        if idle_work:
            now = time.monotonic()
            pause = last_request + IDLE_PAUSE - now
            if pause > 0 and now - last_step < 1.0:  # (searches all the time: a step a second)
                if not conn.poll(pause):
                    continue
            elif not conn.poll(0):
                idle_work = texts.idle_step()
                last_step = time.monotonic()
                steps += 1
                if not idle_work or steps % 8 == 0:
                    give_back_memory()
                continue
        try:
            msg = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if msg[0] == "match":
            _, words, candidates, limit = msg
            cand = None if candidates is None else candidates.tolist()
            hits = texts.match(words, cand, limit)
            conn.send((np.asarray(hits, dtype=np.int32), started and not idle_work))
        elif msg[0] == "idle":
            idle_work = idle_work or not started
            started = True
            continue
        elif msg[0] == "newest":
            _, words, packed, limit = msg
            allowed = None if packed is None else np.unpackbits(packed, count=len(texts))
            hits = texts.newest(words, allowed, limit)
            conn.send((np.asarray(hits, dtype=np.int32), started and not idle_work))
        else:
            return
        last_request = time.monotonic()


class ShardedTextIndex:
    """The search texts, held by the loader's worker processes."""

    def __init__(self, conns: Sequence[Connection], procs: Sequence[Any]) -> None:
        self.conns = list(conns)
        self.procs = list(procs)
        self._shard_parts: list[np.ndarray] = []
        self._local_parts: list[np.ndarray] = []
        self._global_parts: list[list[np.ndarray]] = [[] for _ in conns]
        self._local_n = [0] * len(conns)
        self._n = 0
        self._shard_of = np.empty(0, np.int8)
        self._local_of = np.empty(0, np.int32)
        self._global_of: list[np.ndarray] = [np.empty(0, np.int64) for _ in conns]
        self._lock = threading.Lock()
        self._ready = threading.Event()  # set when every worker has finished loading
        self._broken = False  # a worker died: the pipes may hold stale answers
        self._settled = [False] * len(self.conns)

    @contextmanager
    def _failing(self) -> Iterator[None]:
        try:
            yield
        except SearchProcessError:
            self._broken = True
            raise

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Workers answer searches only once they have loaded (the pump owns the pipes until
        then)."""
        return self._ready.wait(timeout)

    def add(self, shard: int, count: int, texts: Any = None) -> None:
        """``count`` more events of worker ``shard`` (which holds their texts)."""
        self._shard_parts.append(np.full(count, shard, np.int8))
        local = self._local_n[shard]
        self._local_parts.append(np.arange(local, local + count, dtype=np.int32))
        self._global_parts[shard].append(np.arange(self._n, self._n + count, dtype=np.int64))
        self._local_n[shard] += count
        self._n += count

    def _consolidate(self) -> None:
        if self._shard_parts:
            self._shard_of = np.concatenate([self._shard_of, *self._shard_parts])
            self._local_of = np.concatenate([self._local_of, *self._local_parts])
            self._shard_parts, self._local_parts = [], []
        for s, parts in enumerate(self._global_parts):
            if parts:
                self._global_of[s] = np.concatenate([self._global_of[s], *parts])
                self._global_parts[s] = []

    def _check(self) -> None:
        if self._broken:
            raise SearchProcessError(
                "a search process stopped unexpectedly; reload the source (r) to search again"
            )

    @property
    def settled(self) -> bool:
        """Whether every worker had finished its idle work (texts kept compact) when it last
        answered: a full scan then reads a fifth of the bytes."""
        return all(self._settled)

    def _answer(self, s: int) -> np.ndarray:
        hits, settled = conn_recv(self.conns[s])
        self._settled[s] = settled
        return hits  # type: ignore[no-any-return]

    def match(
        self, words: Sequence[bytes], candidates: np.ndarray | None, limit: int | None
    ) -> np.ndarray:
        with self._lock, self._failing():
            self._check()
            self._consolidate()
            asked = []
            for s, conn in enumerate(self.conns):
                if candidates is None:
                    local = None
                else:
                    mine = candidates[self._shard_of[candidates] == s]
                    if not len(mine):
                        continue
                    local = self._local_of[mine]
                _send(conn, ("match", tuple(words), local, limit))
                asked.append(s)
            found = [self._global_of[s][self._answer(s)] for s in asked]
        if not found:
            return np.empty(0, np.int64)
        return np.concatenate(found)

    def newest(self, words: Sequence[bytes], allowed: np.ndarray | None, limit: int) -> np.ndarray:
        """Each worker's newest matches among ``allowed`` (global bools), merged."""
        with self._lock, self._failing():
            self._check()
            self._consolidate()
            for s, conn in enumerate(self.conns):
                packed = None if allowed is None else np.packbits(allowed[self._global_of[s]])
                _send(conn, ("newest", tuple(words), packed, limit))
            found = [self._global_of[s][self._answer(s)] for s in range(len(self.conns))]
        return np.concatenate(found) if found else np.empty(0, np.int64)

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(("close",))
                conn.close()
            except (OSError, ValueError):
                pass
        for proc in self.procs:
            proc.join(timeout=1)
            if proc.is_alive():
                proc.terminate()


def _send(conn: Connection, msg: tuple[Any, ...]) -> None:
    try:
        conn.send(msg)
    except (OSError, ValueError) as exc:
        raise SearchProcessError(
            "a search process stopped unexpectedly; reload the source (r) to search again"
        ) from exc


class SearchProcessError(RuntimeError):
    """A search worker process is gone (killed, out of memory): the source must be reopened."""


def conn_recv(conn: Connection) -> Any:
    try:
        value = conn.recv()
    except (EOFError, OSError) as exc:
        raise SearchProcessError(
            "a search process stopped unexpectedly; reload the source (r) to search again"
        ) from exc
    return value


def split_point(path: str, size: int) -> int:
    """A line boundary near the middle of the file."""
    if size < 2:
        return size
    with open(path, "rb") as f:  # (never reading a long line whole: see lines.end_of_line)
        return min(lines.end_of_line(f, size // 2, size), size)


@contextmanager
def no_main_reimport() -> Iterator[None]:
    """Spawned workers need only this module: keep them from re-running the caller's script."""
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if hasattr(main, k)}
    with _SPAWN_LOCK:
        try:
            for key in saved:
                if key == "__file__":
                    delattr(main, key)
                else:
                    setattr(main, key, None)
            yield
        finally:
            for key, value in saved.items():
                setattr(main, key, value)


_SPAWN_LOCK = threading.Lock()


def worker_context() -> Any:
    """fork while this process has a single thread (the command line, before the browser
    starts): the workers start in milliseconds with everything imported. With other threads
    running (a reload inside the browser) fork is unsafe: spawn a fresh interpreter."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return mp.get_context("fork")
    return mp.get_context("spawn")


def start_workers(
    path: str,
    size: int,
    workers: int = 2,
    forced: str | None = None,
    max_line: int = MAX_LINE_BYTES,
) -> tuple[list[Connection], list[Any]]:
    """Start the loader's processes; ``forced``: the format they read non-native records as;
    ``max_line``: the longest line they read (longer ones are skipped)."""
    ctx = worker_context()
    mid = split_point(path, size)
    ranges = [(0, mid, False), (mid, size, True)] if workers > 1 else [(0, size, False)]
    conns, procs = [], []
    for start, end, backwards in ranges:
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=worker_main,
            args=(child, path, start, end, backwards, forced, max_line),
            daemon=True,
        )
        with no_main_reimport():
            proc.start()
        child.close()
        conns.append(parent)
        procs.append(proc)
    return conns, procs


def pump_messages(
    store: Any,
    conns: list[Connection],
    index: ShardedTextIndex,
    on_message: Callable[[int, Any], None],
) -> None:
    """Hand the workers' messages (with the worker's number) to ``on_message`` until every
    worker is done, then mark the index ready and the store loaded (a thread). A worker that
    reports an error or stops is done; the store keeps what arrived and says why."""
    live: dict[int, int] = {id(c): s for s, c in enumerate(conns)}
    error = None
    while live:
        for conn in wait([c for c in conns if id(c) in live]):
            assert isinstance(conn, Connection)
            shard = live[id(conn)]
            try:
                msg: Any = conn.recv()
            except (EOFError, OSError):
                error = "a loader process stopped unexpectedly"
                live.pop(id(conn))
                continue
            if msg[0] == "done":
                live.pop(id(conn))
            elif msg[0] == "error":
                error = msg[1]
                live.pop(id(conn))
            else:
                on_message(shard, msg)
    store.finish(error)
    for conn in conns:  # the whole load is in: the workers may take the cores for idle work
        try:
            conn.send(("idle",))
        except (OSError, ValueError):
            pass  # a worker that is gone is reported by the first search
    index._ready.set()


def pump(store: Any, conns: list[Connection], index: ShardedTextIndex, size: int) -> None:
    """Move the workers' blocks into the store until every worker is done (a thread)."""
    done_bytes = 0

    def block(shard: int, msg: Any) -> None:
        nonlocal done_bytes
        _, result, nbytes = msg
        store.add_block(shard, result, None)  # the store tells the index
        done_bytes += nbytes
        store.progress = min(done_bytes / max(size, 1), 0.999)

    pump_messages(store, conns, index, block)
