"""``audit-tui serve``: a reference server of the audit API contract (``docs/api.md``).

It serves any local source (a file, or the bundled sample) at ``/audit-logs`` and
``/audit-logs/facets`` from the core's store, so pages and facet counts come back in
milliseconds at a million events: ``store.search`` gives the matching positions (kept in a
small cache per query, so paging never searches again) and ``store.raw`` the records.

A cursor is opaque: the query's fingerprint and an offset, signed with a key made at start, so
a cursor used with another query, forged, or from an earlier run is refused with
``400 invalid_cursor``. Every error is the contract's envelope ``{"error": {"code",
"message"}}``.

Starlette and uvicorn are an optional extra (``pip install 'audit-tui[serve]'``); they are
imported only when the server is built. The ``audit-tui serve`` command that runs it is
:mod:`audit_tui.commands.serve`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import orjson

from audit_tui import searchlang
from audit_tui.query import Query, QueryError, parse_when, utcnow
from audit_tui.safe import clean
from audit_tui.sources.formats import normalise
from audit_tui.store import Result, Store, time_buckets

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from audit_tui.clickhouse.events import ClickHouseEvents


class Reader(Protocol):
    """What reads a query's matches by position: a store, or a ClickHouse table's paged view."""

    def search(self, query: Query, now: datetime | None = None) -> Result: ...

    def raw(self, position: int) -> bytes: ...


PATH = "/audit-logs"
DEFAULT_PORT = 8077
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
DEFAULT_BUCKETS = 100
MAX_BUCKETS = 1000
TOKEN_ENV = "AUDIT_TUI_TOKEN"
FIELDS = {"actor": "actors", "event_type": "event_types", "workspace": "workspaces"}
_JSON = {"content-type": "application/json"}

log = logging.getLogger("audit_tui.serve")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def envelope(code: str, message: str) -> bytes:
    return orjson.dumps({"error": {"code": code, "message": message}})


class QueryParams:
    """The subset of Starlette's QueryParams this module reads (tests pass a dict)."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self.items = list(items)

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.items:
            if key == name:
                return value
        return default

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]


class AuditAPI:
    """The contract over a loaded :class:`Store`, independent of the web framework."""

    def __init__(
        self,
        store: Store | ClickHouseEvents,
        token: str | None,
        *,
        max_limit: int = MAX_LIMIT,
        cache_size: int = 8,
    ) -> None:
        self.store = store
        self._token = token.encode() if token else None
        self.max_limit = max_limit
        self._key = secrets.token_bytes(32)  # cursors from another run do not verify
        # fingerprint -> (when computed, monotonic; (what reads the events, their positions))
        self._results: OrderedDict[str, tuple[float, tuple[Reader, np.ndarray]]] = OrderedDict()
        self._facets: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._timelines: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._passed_through: set[int] = set()  # events sent as written (reported once each)

    # -- auth ------------------------------------------------------------------------------

    def check_auth(self, header: str | None) -> None:
        if self._token is None:
            return
        challenge = {"www-authenticate": 'Bearer realm="audit-tui"'}
        if not header or not header.lower().startswith("bearer "):
            raise ApiError(401, "unauthorized", "a bearer token is required", challenge)
        given = header[7:].strip().encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._token):
            raise ApiError(401, "invalid_token", "the token is not valid", challenge)

    # -- queries ---------------------------------------------------------------------------

    @staticmethod
    def _query(params: Any) -> tuple[Query, str]:
        text = params.get("q") or ""
        since, until = params.get("since"), params.get("until")
        lists = {name: sorted(set(params.getlist(name))) for name in FIELDS}
        try:
            query = Query(
                text=text,
                since=since,
                until=until,
                actors=frozenset(lists["actor"]),
                event_types=frozenset(lists["event_type"]),
                workspaces=frozenset(lists["workspace"]),
            )
        except QueryError as exc:
            raise ApiError(400, "invalid_parameter", str(exc)) from None
        canonical = orjson.dumps([text, since or "", until or "", lists])
        return query, hashlib.sha256(canonical).hexdigest()[:24]

    def _fresh(self, hit: tuple[float, Any] | None, query: Query, now: datetime) -> bool:
        """A cached answer still holds: always for absolute times; for a query whose times
        follow the clock (``since=3d``, ``q=since:1h``) only for :data:`RELATIVE_TTL` s."""
        if hit is None:
            return False
        return time.monotonic() - hit[0] < RELATIVE_TTL or not depends_on_now(query, now)

    def extent(self) -> int:
        """How many events the store holds now (0 for a ClickHouse table): a first page
        answers for these, and its cursor keeps to them while a followed file grows."""
        return self.store.total if isinstance(self.store, Store) else 0

    def _positions(
        self, query: Query, fingerprint: str, now: datetime, upto: int = 0
    ) -> tuple[Reader, np.ndarray]:
        """The matches of ``query`` (newest first) and what reads them by position: for a
        store, its events by load index among the first ``upto`` (those it held when the first
        page was asked for: a followed file's new events do not shift later pages); for a
        ClickHouse table, a paged view of this query (one keyset page at a time)."""
        key = f"{fingerprint}/{upto}"
        with self._lock:
            hit = self._results.get(key)
        if hit is not None and self._fresh(hit, query, now):
            with self._lock:
                self._results.move_to_end(key)
            return hit[1]
        found: tuple[Reader, np.ndarray]
        if isinstance(self.store, Store):
            events = self.store.search(query, now).events
            if len(events) and upto < self.store.total:
                events = events[events < upto]
            found = (_Events(self.store), events)
        else:
            from audit_tui.clickhouse.view import PagedView

            # pages the size the largest answer asks for: a few views are cached
            reader = PagedView(self.store, query, now, page=self.max_limit)
            found = (reader, reader.search(query, now).positions)
        with self._lock:
            self._results[key] = (time.monotonic(), found)
            self._results.move_to_end(key)
            while len(self._results) > self._cache_size:
                self._results.popitem(last=False)
        return found

    # -- cursors ---------------------------------------------------------------------------

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()[:20]

    def make_cursor(self, fingerprint: str, offset: int, upto: int = 0) -> str:
        payload = orjson.dumps([fingerprint, offset, upto])
        body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
        return f"{body}.{self._sign(payload)}"

    def read_cursor(self, cursor: str, fingerprint: str) -> tuple[int, int]:
        """(offset, upto) of a cursor this server gave out for the query ``fingerprint``."""
        bad = ApiError(400, "invalid_cursor", "the cursor is not one this server gave out")
        body, _, sig = cursor.partition(".")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError):
            raise bad from None
        if not hmac.compare_digest(sig.encode(), self._sign(payload).encode()):
            raise bad
        try:
            fp, offset, upto = orjson.loads(payload)
        except (orjson.JSONDecodeError, ValueError, TypeError):
            raise bad from None
        if fp != fingerprint:
            raise ApiError(
                400,
                "invalid_cursor",
                "the cursor belongs to a different query; start again without a cursor",
            )
        if not isinstance(offset, int) or offset < 0 or not isinstance(upto, int) or upto < 0:
            raise bad
        return offset, upto

    # -- endpoints -------------------------------------------------------------------------

    def _limit(self, params: Any) -> int:
        raw = params.get("limit")
        if raw is None or raw == "":
            return min(DEFAULT_LIMIT, self.max_limit)
        try:
            limit = int(raw)
        except ValueError:
            raise ApiError(400, "invalid_parameter", "limit must be a whole number") from None
        if limit < 1:
            raise ApiError(400, "invalid_parameter", "limit must be at least 1")
        return min(limit, self.max_limit)

    def page(self, params: Any, now: datetime | None = None) -> bytes:
        """``GET /audit-logs``: one page as JSON bytes (raises :class:`ApiError`)."""
        limit = self._limit(params)
        query, fingerprint = self._query(params)
        cursor = params.get("cursor")
        offset, upto = self.read_cursor(cursor, fingerprint) if cursor else (0, self.extent())
        reader, positions = self._positions(query, fingerprint, now or utcnow(), upto)
        chunk = positions[offset : offset + limit]
        end = offset + len(chunk)
        more = end < len(positions)
        next_cursor = self.make_cursor(fingerprint, end, upto) if more else None
        raws = [self._event(reader, int(p)) for p in chunk]
        return b"".join(
            (
                b'{"data":[',
                b",".join(raws),
                b'],"next":',
                orjson.dumps(next_cursor),
                b',"has_more":',
                b"true" if more else b"false",
                b',"total":',
                str(len(positions)).encode(),
                b"}",
            )
        )

    def _event(self, reader: Reader, position: int) -> bytes:
        raw = reader.raw(position).strip()
        if b'"audited_at"' in raw and b'"event_type"' in raw:
            return raw  # the native shape: as the source wrote it
        try:
            record = orjson.loads(raw)
            native = normalise(record) if isinstance(record, dict) else record
            return raw if native is record else orjson.dumps(native)
        except (orjson.JSONDecodeError, orjson.JSONEncodeError, RecursionError) as exc:
            # a number beyond float or 64-bit range, or nesting orjson refuses: the event goes
            # out as the source wrote it (still JSON), and the log says so once per event
            self._report_passed_through(position, exc)
            return raw.decode("utf-8", "replace").encode("utf-8")

    def _report_passed_through(self, position: int, exc: Exception) -> None:
        with self._lock:
            if position in self._passed_through:
                return
            self._passed_through.add(position)
        log.warning(
            "an event (newest-first position %d) could not be converted to the native shape "
            "(%s); sent as the source wrote it",
            position,
            clean(str(exc), 200),
        )

    def facets(self, params: Any, now: datetime | None = None) -> bytes:
        """``GET /audit-logs/facets?field=…``: each value's count under the *other* filters."""
        field = params.get("field")
        if field not in FIELDS:
            raise ApiError(
                400, "invalid_parameter", "field must be one of actor, event_type, workspace"
            )
        query, fingerprint = self._query(params)
        now = now or utcnow()
        key = f"{fingerprint}/{self.extent()}"  # counted again once a followed file grew
        with self._lock:
            hit = self._facets.get(key)
        if hit is not None and self._fresh(hit, query, now):
            facets = hit[1]
        else:
            facets = self.store.facets(query, now)
            with self._lock:
                self._facets[key] = (time.monotonic(), facets)
                self._facets.move_to_end(key)
                while len(self._facets) > self._cache_size:
                    self._facets.popitem(last=False)
        values = facets.get(FIELDS[field])
        return orjson.dumps({"data": [_facet_entry(v) for v in values]})

    def timeline(self, params: Any, now: datetime | None = None) -> bytes:
        """``GET /audit-logs/timeline?buckets=N&…``: the matches per time bucket over the
        query's window (all time: from the oldest event to the newest), at most N buckets of a
        round size (:func:`~audit_tui.store.time_buckets`, the browser's own rule)."""
        raw = params.get("buckets") or str(DEFAULT_BUCKETS)
        try:
            wanted = int(raw)
        except ValueError:
            raise ApiError(400, "invalid_parameter", "buckets must be a whole number") from None
        if not 1 <= wanted <= MAX_BUCKETS:
            raise ApiError(400, "invalid_parameter", f"buckets must be between 1 and {MAX_BUCKETS}")
        query, fingerprint = self._query(params)
        now = now or utcnow()
        key = f"{fingerprint}/{wanted}"
        with self._lock:
            hit = self._timelines.get(key)
        if hit is not None and self._fresh(hit, query, now):
            return bytes(hit[1])
        window = query.window(now)
        span = self.store.time_span() if window.since is None or window.until is None else None
        since = window.since if window.since is not None else (span[0] if span else None)
        until = window.until if window.until is not None else (span[1] + 1 if span else None)
        if since is None or until is None:
            body = orjson.dumps({"start": None, "step": None, "counts": [], "end": None})
        else:
            start, step, n = time_buckets(since, until, wanted)
            counts = self.store.histogram(query, start, step, n, now)
            body = orjson.dumps(
                {"start": start, "step": step, "counts": counts.tolist(), "end": until}
            )
        with self._lock:
            self._timelines[key] = (time.monotonic(), body)
            self._timelines.move_to_end(key)
            while len(self._timelines) > self._cache_size:
                self._timelines.popitem(last=False)
        return body


class _Events:
    """Reads a store's events by load index (:attr:`Result.events`): they name the same
    events while a followed file grows and positions move."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def search(self, query: Query, now: datetime | None = None) -> Result:
        return self.store.search(query, now)

    def raw(self, position: int) -> bytes:
        return self.store.event_raw(position)


RELATIVE_TTL = 5.0  # seconds a relative query's answer is reused (paging through it)


def depends_on_now(query: Query, now: datetime) -> bool:
    """The query's times follow the clock: a relative period or ``--since``/``--until`` (``3d``),
    or a ``since:``/``until:`` term of the search text that is relative."""
    later = now + timedelta(hours=1)
    if query.window(now).describe() != query.window(later).describe():
        return True
    for node in searchlang.walk(query.expr):
        if isinstance(node, searchlang.Time):
            try:
                if parse_when(node.spec, now) != parse_when(node.spec, later):
                    return True
            except QueryError:
                return True
    return False


# -- the web app --------------------------------------------------------------------------


def _facet_entry(v: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": v.value, "label": v.label, "count": v.count}
    if v.kind:
        entry["type"] = v.kind  # an actor's type: the browser marks system accounts and keys
    return entry


def create_app(
    api: AuditAPI,
    path: str = PATH,
    *,
    warm_up: bool = False,
    on_ready: Callable[[], None] | None = None,
) -> Starlette:
    """The Starlette app: ``GET {path}``, ``GET {path}/facets``, ``GET {path}/timeline``, the
    envelope on every error.

    With ``warm_up`` (and a server that runs the lifespan) a page is built through the worker
    threads before the first request, so no client pays for starting them; ``on_ready`` is
    called when the server is about to accept requests."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def error(
        status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        return Response(envelope(code, message), status, headers={**_JSON, **(headers or {})})

    def endpoint(method: Any) -> Any:
        async def handle(request: Request) -> Response:
            try:
                api.check_auth(request.headers.get("authorization"))
                body = await run_in_threadpool(method, request.query_params)
            except ApiError as exc:
                return error(exc.status, exc.code, exc.message, exc.headers)
            return Response(body, 200, headers=_JSON)

        return handle

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if status == 404:
            return error(404, "not_found", f"no such endpoint; the audit API is at {path}")
        if status == 405:
            return error(405, "method_not_allowed", "only GET is supported")
        return error(status, "http_error", str(getattr(exc, "detail", "")) or "request failed")

    async def crash(request: Request, exc: Exception) -> Response:
        log.error("internal error: %s: %s", type(exc).__name__, exc)
        return error(500, "internal", "the server failed to answer; see its log")

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> Any:
        if warm_up:  # the worker threads and the request path, before the first request
            await run_in_threadpool(api.page, QueryParams([("limit", "1")]))
        if on_ready is not None:
            on_ready()
        yield

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route(path, endpoint(api.page), methods=["GET"]),
            Route(path + "/facets", endpoint(api.facets), methods=["GET"]),
            Route(path + "/timeline", endpoint(api.timeline), methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: crash},
    )


# -- running ------------------------------------------------------------------------------


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port). Raises OSError."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, path: str = PATH) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


def uvicorn_server(
    app: Any, access_log: bool = False, lifespan: Literal["on", "off"] = "off"
) -> Any:
    """A uvicorn server for ``app`` that leaves the logging set-up to the caller."""
    import uvicorn

    config = uvicorn.Config(
        app,
        lifespan=lifespan,
        log_config=None,
        access_log=access_log,
        server_header=False,
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread; yields the endpoint's URL (for tests
    and benchmarks)."""
    sock = bind(host, port)
    server = uvicorn_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
