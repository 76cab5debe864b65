"""Blocking wrappers for callers that cannot ``await``: the command line and thread workers.

:class:`SyncRemoteClient` runs a :class:`~audit_tui.remote.client.RemoteClient` on a private
event loop in a daemon thread, so it can be called from any thread (including one whose own
loop is running, such as a Textual thread worker) and keeps prefetching while the caller
writes. The same errors come out as from the async client.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Generator
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from audit_tui.query import Query
from audit_tui.remote.client import FacetCount, Page, Params, RemoteClient, client_options
from audit_tui.remote.pager import RemoteFacets, RemotePager

if TYPE_CHECKING:
    from audit_tui.remote.settings import RemoteSettings

T = TypeVar("T")


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="audit-tui remote", daemon=True
        )
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # Ctrl-C while waiting: stop the request too
            raise

    def close(self) -> None:
        if self.loop.is_closed():
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(5)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()


class SyncRemoteClient:
    """The blocking face of :class:`RemoteClient` (same arguments, same errors)."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self._runner = _LoopThread()
        try:
            self.client = RemoteClient(url, **kwargs)
        except BaseException:
            self._runner.close()
            raise

    @classmethod
    def from_settings(cls, settings: RemoteSettings, **kwargs: Any) -> SyncRemoteClient:
        return cls(settings.url, **client_options(settings), **kwargs)

    def __repr__(self) -> str:
        return f"Sync{self.client!r}"

    @property
    def url(self) -> str:
        return self.client.url

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine of the client (or a pager on it) on the client's loop."""
        return self._runner.run(coro)

    def fetch_page(
        self, params: Params, next_ref: str | None = None, limit: int | None = None
    ) -> Page:
        return self.run(self.client.fetch_page(params, next_ref, limit))

    def pages(
        self,
        params: Params,
        *,
        limit: int | None = None,
        page_size: int | None = None,
        prefetch: bool = True,
    ) -> Generator[Page, None, None]:
        """Like :meth:`RemoteClient.pages`; with ``prefetch`` the next page loads while the
        caller handles this one."""
        agen = self.client.pages(params, limit=limit, page_size=page_size, prefetch=prefetch)

        async def step() -> Page:
            return await agen.__anext__()

        try:
            while True:
                try:
                    page = self.run(step())
                except StopAsyncIteration:
                    return
                yield page
        finally:
            if not self._runner.loop.is_closed():
                try:
                    self.run(agen.aclose())
                except Exception:
                    pass

    def count(self, params: Params) -> tuple[int, bool]:
        return self.run(self.client.count(params))

    def facets(self, field: str, params: Params) -> list[FacetCount] | None:
        return self.run(self.client.facets(field, params))

    def pager(
        self,
        query: Query | None = None,
        *,
        page_size: int | None = None,
        now: datetime | None = None,
    ) -> SyncRemotePager:
        return SyncRemotePager(self, query, page_size=page_size, now=now)

    def close(self) -> None:
        if not self._runner.loop.is_closed():
            try:
                self.run(self.client.aclose())
            except Exception:
                pass
            self._runner.close()

    def __enter__(self) -> SyncRemoteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncRemotePager:
    """:class:`RemotePager` for thread workers: the same methods, blocking. State
    (``events``, ``raws``, ``has_more``, ``total``, ``error``) is read from the pager."""

    def __init__(
        self,
        client: SyncRemoteClient,
        query: Query | None = None,
        *,
        page_size: int | None = None,
        now: datetime | None = None,
    ) -> None:
        self._sync = client

        async def make() -> RemotePager:
            return RemotePager(client.client, query, page_size=page_size, now=now)

        self.pager = client.run(make())

    def __getattr__(self, name: str) -> Any:  # events, raws, has_more, total, error, query …
        return getattr(self.pager, name)

    def first_page(self) -> Page | None:
        return self._sync.run(self.pager.first_page())

    def next_page(self) -> Page | None:
        return self._sync.run(self.pager.next_page())

    def restart(self, query: Query | None = None) -> Page | None:
        return self._sync.run(self.pager.restart(query))

    def set_query(self, query: Query) -> bool:
        async def call() -> bool:
            return self.pager.set_query(query)

        return self._sync.run(call())

    def prefetch(self) -> None:
        async def call() -> None:
            self.pager.prefetch()

        self._sync.run(call())

    def facets(self, field: str) -> RemoteFacets:
        return self._sync.run(self.pager.facets(field))
