"""The one facade over the audit HTTP API: httpx inside, the app's own errors outside.

:class:`RemoteClient` speaks the contract of ``docs/api.md``: ``GET {URL}?limit=…&cursor=…``
with the filters as query parameters, a bearer token, pages of ``{"data", "next",
"has_more", "total"}`` and an error envelope ``{"error": {"code", "message"}}``. It retries
connection errors, timeouts and 502/503/504 with exponential backoff and jitter and 429 after
``Retry-After`` (capped), a bounded number of times; then, and for every other failure, it raises
one of :mod:`audit_tui.remote.errors` with a one-line message that never holds the token.

Callers that cannot ``await`` (the command line, thread workers) use
:class:`audit_tui.remote.sync.SyncRemoteClient`, which runs this client on its own loop thread.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import logging
import math
import os
import random
import re
import ssl
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import httpx
import msgspec
import orjson

from audit_tui import __version__
from audit_tui.model import iso_ms
from audit_tui.query import Query, utcnow
from audit_tui.remote.errors import (
    AuthError,
    CursorError,
    NetworkError,
    PayloadError,
    RateLimitError,
    RemoteError,
    RemoteTimeoutError,
    ServerError,
    SettingsError,
)
from audit_tui.remote.settings import Secret, is_loopback, redact
from audit_tui.safe import clean

if TYPE_CHECKING:
    from audit_tui.remote.settings import RemoteSettings

log = logging.getLogger("audit_tui.remote")

Params = list[tuple[str, str]]
# the core's facet names -> the contract's parameter names
FACET_PARAMS = {"actors": "actor", "event_types": "event_type", "workspaces": "workspace"}
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_PAGE_BYTES = 64 * 1024 * 1024
MAX_ERROR_BYTES = 64 * 1024
MAX_SERVER_MESSAGE = 200
# pages in a row with no event while the server says there is more: then paging stops
MAX_EMPTY_PAGES = 50
NOTICE_WAIT = 5.0  # a wait before another attempt this long or longer is announced


async def backoff_sleep(seconds: float) -> None:
    """How the client waits between attempts (tests replace it to record the delays)."""
    await asyncio.sleep(seconds)


class _Envelope(msgspec.Struct):
    data: list[msgspec.Raw]
    next: str | None = None
    has_more: bool | None = None
    total: int | None = None


_FAST = msgspec.json.Decoder(_Envelope)  # one pass over a good page
_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw])  # the slow path names what is wrong
_LIST = msgspec.json.Decoder(list[msgspec.Raw])


# -- values ----------------------------------------------------------------------------------


@dataclass
class Page:
    """One page: each event's JSON text exactly as the server sent it, and the paging fields."""

    raws: list[bytes]
    next: str | None
    has_more: bool
    total: int | None = None
    # why each event left out of ``raws`` was left out ("event 3 of the page: …"): events
    # this client cannot decode (a lone surrogate, a number out of range, nesting too deep)
    skipped: list[str] = field(default_factory=list)
    _records: list[dict[str, Any]] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.raws)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The events as dicts (parsed on first use)."""
        if self._records is None:
            self._records = [orjson.loads(raw) for raw in self.raws]
        return self._records


Answer = tuple[int, httpx.Headers, bytes]  # status, headers, body of one HTTP answer


@dataclass(frozen=True)
class _Retry:
    """An attempt that failed in a way another attempt may mend: the error to raise if it was
    the last, and the wait the server asked for (None: back off)."""

    error: RemoteError
    wait: float | None = None
    asked: float | None = None  # the server's Retry-After, before the cap


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int
    label: str
    kind: str = ""  # an actor's type (user, system, api_key…) when the server says it


@dataclass(frozen=True)
class TimelineCounts:
    """A server's timeline: ``counts[i]`` events in ``[start + i*step, start + (i+1)*step)``
    ms; ``end`` the range's real end (exclusive). No range (no events): ``start`` is None."""

    start: int | None
    step: int
    counts: list[int]
    end: int | None


class EmptyPages:
    """Counts pages in a row that hold no event while the server says there is more; past
    ``limit`` of them, paging stops with a :class:`PayloadError` (a server answering empty
    pages with a new cursor for ever would otherwise be paged for ever)."""

    def __init__(self, limit: int = MAX_EMPTY_PAGES) -> None:
        self.limit = limit
        self.run = 0

    def check(self, page: Page) -> None:
        if page.raws or page.skipped or not page.has_more:
            self.run = 0
            return
        self.run += 1
        if self.run >= self.limit:
            raise PayloadError(
                f"the server sent {self.run} empty pages in a row while saying there are more "
                "events; stopping",
                "empty pages",
            )


def describe_undecodable(reasons: list[str], most: int = 3) -> str:
    """One line for the events left out because they cannot be decoded."""
    noun = "event" if len(reasons) == 1 else "events"
    more = f"; … and {len(reasons) - most} more" if len(reasons) > most else ""
    return (
        f"skipped {len(reasons):,} {noun} the server sent that cannot be decoded: "
        + "; ".join(reasons[:most])
        + more
    )


def duration(seconds: float) -> str:
    """``30 s``, ``4 min 10 s``, ``11 days 13 h`` for a message."""
    s = round(seconds)
    if seconds < 10 and s != seconds:
        return f"{seconds:.1f} s"
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    if s < 172800:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} days {s % 86400 // 3600} h"


def client_options(settings: RemoteSettings) -> dict[str, Any]:
    """The client's keyword arguments that come from resolved settings (URL aside)."""
    return {
        "token": settings.token,
        "timeout": settings.timeout,
        "page_size": settings.page_size,
        "ca_bundle": settings.ca_bundle,
    }


def query_params(query: Query, now: datetime | None = None) -> Params:
    """The contract's query parameters for ``query`` (times resolved against ``now``).

    A rolling period (``7d``) becomes absolute ``since``/``until``: resolve once per paging
    run and reuse the result for every page, or the window would slide between pages."""
    window = query.window(now or utcnow())
    params: Params = []
    if query.text.strip():
        params.append(("q", query.text.strip()))
    if window.since is not None:
        params.append(("since", iso_ms(window.since)))
    if window.until is not None:
        params.append(("until", iso_ms(window.until)))
    for facet, name in FACET_PARAMS.items():
        params.extend((name, value) for value in sorted(query.facet(facet)))
    return params


def tls_verify(ca_bundle: str | Path | None) -> ssl.SSLContext:
    """What httpx gets as ``verify``: the default trust store, or a context for a CA bundle
    (a PEM file, or a folder of hashed certificates)."""
    if ca_bundle is None:
        return _default_context()
    path = Path(ca_bundle).expanduser()
    try:
        if path.is_dir():
            return ssl.create_default_context(capath=str(path))
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise SettingsError(f"CA bundle {path}: cannot load it ({exc})") from None


@functools.cache
def _default_context() -> ssl.SSLContext:
    """The default trust store ($SSL_CERT_FILE / $SSL_CERT_DIR, else certifi), built once per
    process: loading it takes tens of milliseconds."""
    return httpx.create_ssl_context()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _kind(raw: bytes) -> str:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "not JSON"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def parse_page(body: bytes) -> Page:
    """A :class:`Page` from a 200 answer, or :class:`PayloadError` saying what is wrong."""
    try:
        fast = _FAST.decode(body)
    except msgspec.DecodeError:
        return _parse_page_slowly(body)
    except RecursionError:  # nested deeper than msgspec goes: the slow path splits it
        return _parse_page_slowly(body)
    raws = [bytes(item) for item in fast.data]
    if all(raw[:1] == b"{" for raw in raws) and (fast.total is None or fast.total >= 0):
        return _decoded(_paging(raws, fast.next, fast.has_more, fast.total))
    return _parse_page_slowly(body)


def _parse_page_slowly(body: bytes) -> Page:
    head = body.lstrip()[:1]
    if not head:
        raise PayloadError("the server sent an empty page", "empty body")
    if head != b"{":
        if head == b"<":
            raise PayloadError("the server sent HTML, not a JSON page; check the URL", "not JSON")
        if head == b"[":
            raise PayloadError(
                "the page is a JSON list, not an object with `data`; check the URL",
                "not an object",
            )
        raise PayloadError("the page is not JSON", "not JSON")
    top: dict[str, Any]
    try:
        top = _TOP.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        # one event msgspec cannot take (a lone surrogate, deep nesting) must not cost the
        # page: split it without decoding the events, each is decoded on its own below
        split = split_page(body)
        if split is None:
            if "truncated" in str(exc):
                raise PayloadError(
                    f"the page is cut short (truncated JSON after {len(body):,} bytes)",
                    "truncated",
                ) from None
            raise PayloadError(f"the page is not valid JSON ({exc})", "malformed JSON") from None
        top, items = split
    else:
        items = None
    if items is None:
        if "data" not in top:
            raise PayloadError("the page has no `data` list", "missing data")
        try:
            items = [bytes(item) for item in _LIST.decode(top["data"])]
        except (msgspec.DecodeError, RecursionError):
            what = _kind(bytes(top["data"]))
            raise PayloadError(
                f"the page's `data` is {what}, not a list", "data not a list"
            ) from None
    raws = items
    for i, raw in enumerate(raws):
        if raw[:1] != b"{":
            raise PayloadError(
                f"event {i + 1} of the page is {_kind(raw)}, not an object", "event not an object"
            )
    nxt = _field(top, "next", (str, type(None)), "a string or null")
    more = _field(top, "has_more", (bool, type(None)), "true or false")
    total = _field(top, "total", (int, type(None)), "a number or null")
    if isinstance(total, bool) or (total is not None and total < 0):
        raise PayloadError("the page's `total` is not a count", "bad total")
    return _decoded(_paging(raws, nxt, more, total))


def _decoded(page: Page) -> Page:
    """``page`` with its events decoded; an event that cannot be (a lone surrogate, a number
    out of range, nesting deeper than the decoder goes) is left out and said in ``skipped``,
    and the rest of the page is kept."""
    raws: list[bytes] = []
    records: list[dict[str, Any]] = []
    for i, raw in enumerate(page.raws):
        try:
            record = orjson.loads(raw)
        except (orjson.JSONDecodeError, RecursionError) as exc:
            page.skipped.append(f"event {i + 1} of the page: {clean(str(exc), 120)}")
            continue
        raws.append(raw)
        records.append(record)
    page.raws = raws
    page._records = records
    return page


# one token of JSON text: a string, an opening or closing bracket, a separator, a scalar
_TOKEN = re.compile(rb'\s*(?:("(?:[^"\\]|\\.)*")|([\[{])|([\]}])|([,:])|([^\s,:\[\]{}"]+))', re.S)
_WS = re.compile(rb"\s*")


def _skip_ws(body: bytes, i: int) -> int:
    m = _WS.match(body, i)
    assert m is not None
    return m.end()


def _value_end(body: bytes, i: int) -> int:
    """Where the JSON value starting at ``i`` ends, found by its brackets and strings only
    (no decoding, no recursion); ValueError when there is none."""
    depth = 0
    while True:
        m = _TOKEN.match(body, i)
        if m is None:
            raise ValueError("no JSON value here")
        i = m.end()
        if m.group(2):
            depth += 1
            continue
        if m.group(3):
            depth -= 1
            if depth < 0:
                raise ValueError("a closing bracket without an opening one")
        elif m.group(4):
            if depth == 0:
                raise ValueError("a separator where a value should be")
            continue
        if depth == 0:
            return i


def _split_list(body: bytes, i: int) -> tuple[list[bytes], int]:
    items: list[bytes] = []
    i = _skip_ws(body, i + 1)
    if body[i : i + 1] == b"]":
        return items, i + 1
    while True:
        start = _skip_ws(body, i)
        i = _value_end(body, start)
        items.append(body[start:i])
        i = _skip_ws(body, i)
        sep = body[i : i + 1]
        i += 1
        if sep == b"]":
            return items, i
        if sep != b",":
            raise ValueError("expected , or ]")


def split_page(body: bytes) -> tuple[dict[str, bytes], list[bytes] | None] | None:
    """The top-level fields of a page (each value's JSON text) and the JSON text of each
    item of its ``data`` list (None when ``data`` is not a list), found without decoding the
    events; None when the page's own structure is broken."""
    try:
        i = _skip_ws(body, 0)
        if body[i : i + 1] != b"{":
            return None
        fields: dict[str, bytes] = {}
        items: list[bytes] | None = None
        i = _skip_ws(body, i + 1)
        if body[i : i + 1] == b"}":
            i += 1
        else:
            while True:
                m = _TOKEN.match(body, i)
                if m is None or not m.group(1):
                    return None
                key = json.loads(m.group(1))
                i = _skip_ws(body, m.end())
                if body[i : i + 1] != b":":
                    return None
                start = _skip_ws(body, i + 1)
                if key == "data" and body[start : start + 1] == b"[":
                    items, i = _split_list(body, start)
                    fields[key] = b"[]"
                else:
                    i = _value_end(body, start)
                    fields[key] = body[start:i]
                i = _skip_ws(body, i)
                sep = body[i : i + 1]
                i += 1
                if sep == b"}":
                    break
                if sep != b",":
                    return None
        if _skip_ws(body, i) != len(body):
            return None
        return fields, items
    except (ValueError, RecursionError):
        return None


def _paging(raws: list[bytes], nxt: str | None, more: bool | None, total: int | None) -> Page:
    if nxt == "":
        nxt = None
    has_more = bool(more) if more is not None else nxt is not None
    if has_more and nxt is None:
        raise PayloadError("the page says has_more but gives no `next` cursor", "missing next")
    return Page(raws, nxt if has_more else None, has_more, total)


def _field(top: Mapping[str, Any], name: str, types: tuple[type, ...], want: str) -> Any:
    raw = top.get(name)
    if raw is None:
        return None
    try:
        value = orjson.loads(bytes(raw))
    except orjson.JSONDecodeError:
        raise PayloadError(f"the page's `{name}` is not valid JSON", f"bad {name}") from None
    if not isinstance(value, types):
        raise PayloadError(f"the page's `{name}` is {_kind(bytes(raw))}, not {want}", f"bad {name}")
    return value


def parse_facets(body: bytes) -> list[FacetCount]:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise PayloadError("the facets answer is not valid JSON", "malformed JSON") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list):
        raise PayloadError("the facets answer has no `data` list", "missing data")
    out: list[FacetCount] = []
    for i, item in enumerate(data):
        value = item.get("value") if isinstance(item, dict) else None
        count = item.get("count") if isinstance(item, dict) else None
        if value is None or not isinstance(count, int) or isinstance(count, bool):
            raise PayloadError(f"facet {i + 1} is not {{value, count}}", "bad facet")
        label = item.get("label")
        kind = item.get("type")
        value = value if isinstance(value, str) else str(value)
        out.append(
            FacetCount(
                value,
                count,
                label if isinstance(label, str) and label else value,
                kind if isinstance(kind, str) else "",
            )
        )
    return out


MAX_TIMELINE_BUCKETS = 1000


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_timeline(body: bytes) -> TimelineCounts:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise PayloadError("the timeline answer is not valid JSON", "malformed JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("counts"), list):
        raise PayloadError("the timeline answer has no `counts` list", "missing counts")
    counts, start, step, end = doc["counts"], doc.get("start"), doc.get("step"), doc.get("end")
    if not counts:
        return TimelineCounts(None, 0, [], None)
    if len(counts) > MAX_TIMELINE_BUCKETS or not all(_whole(c) and c >= 0 for c in counts):
        raise PayloadError(
            f"the timeline's `counts` are not at most {MAX_TIMELINE_BUCKETS} whole numbers",
            "bad counts",
        )
    if not _whole(start) or not _whole(step) or step <= 0:
        raise PayloadError("the timeline has no whole `start` and `step`", "bad start or step")
    if end is not None and not _whole(end):
        raise PayloadError("the timeline's `end` is not a whole number", "bad end")
    return TimelineCounts(start, step, counts, end)


# -- the client ------------------------------------------------------------------------------


class RemoteClient:
    """An audit API endpoint: pages, counts and facets. Use as ``async with``, or ``aclose()``.

    ``sleep`` and ``rand`` are the backoff's clock and dice (tests replace them)."""

    def __init__(
        self,
        url: str,
        *,
        token: Secret | str | None = None,
        timeout: float = 10.0,
        page_size: int = 100,
        ca_bundle: str | Path | None = None,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 30.0,
        max_page_bytes: int = MAX_PAGE_BYTES,
        max_empty_pages: int = MAX_EMPTY_PAGES,
        on_wait: Callable[[str], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        rand: Callable[[], float] | None = None,
    ) -> None:
        try:
            self._url = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise SettingsError(f"not a usable URL ({exc})") from None
        if self._url.scheme not in ("http", "https") or not self._url.host:
            raise SettingsError("the URL needs http:// or https:// and a host")
        self.url = str(self._url)
        self._token = Secret(token) if isinstance(token, str) else token
        self.timeout = timeout
        self.page_size = page_size
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.max_page_bytes = max_page_bytes
        self.max_empty_pages = max_empty_pages
        # told (one line) before a long wait for another attempt: the command line writes it
        # on stderr, the browser shows it
        self.on_wait = on_wait
        self._verify = tls_verify(ca_bundle)
        self.ca_bundle = ca_bundle
        self._transport = transport
        self._sleep = sleep
        self._rand = rand or random.random
        self._http: httpx.AsyncClient | None = None
        self.requests = 0  # HTTP requests sent (retries included)

    @classmethod
    def from_settings(cls, settings: RemoteSettings, **kwargs: Any) -> RemoteClient:
        return cls(settings.url, **client_options(settings), **kwargs)

    def __repr__(self) -> str:
        return f"RemoteClient({self.url!r}, token={'set' if self._token else 'none'})"

    @property
    def has_token(self) -> bool:
        return self._token is not None

    @property
    def where(self) -> str:
        """host[:port] for messages."""
        port = self._url.port
        return f"{self._url.host}:{port}" if port else self._url.host

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                verify=self._verify,
                transport=self._transport,
                follow_redirects=True,  # httpx drops Authorization on a cross-origin redirect
                headers={"User-Agent": f"audit-tui/{__version__}", "Accept": "application/json"},
                # no proxy from the environment for a server on this machine
                trust_env=not is_loopback(self._url.host),
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> RemoteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- public calls ------------------------------------------------------------------------

    async def fetch_page(
        self, params: Params, next_ref: str | None = None, limit: int | None = None
    ) -> Page:
        """The first page for ``params`` (``next_ref`` None) or the page ``next_ref`` names:
        a cursor (sent back as ``cursor=`` with the same filters) or a URL (followed as given).
        """
        size = str(limit or self.page_size)
        url: httpx.URL
        query: Params | None
        if next_ref is None:
            url, query = self._url, [*params, ("limit", size)]
        elif next_ref.startswith(("http://", "https://", "/")):
            url, query = self._follow(next_ref), None
        else:
            url, query = self._url, [*params, ("limit", size), ("cursor", next_ref)]
        status, headers, body = await self._get(url, query)
        if status >= 400:
            self._raise_for(status, body, headers, cursor=next_ref is not None)
        if status != 200:
            raise PayloadError(
                f"the server answered {status} instead of a page", f"unexpected status {status}"
            )
        return parse_page(body)

    async def pages(
        self,
        params: Params,
        *,
        limit: int | None = None,
        page_size: int | None = None,
        prefetch: bool = True,
    ) -> AsyncGenerator[Page, None]:
        """Every page for ``params`` in order, at most ``limit`` events in all (the last page
        is cut to fit). With ``prefetch`` the next page is requested as soon as a page arrives,
        while the caller works on it. A failure is raised after the pages already yielded."""
        size = page_size or self.page_size
        remaining = limit

        def want() -> int:
            return size if remaining is None else max(1, min(size, remaining))

        if remaining is not None and remaining <= 0:
            return
        task: asyncio.Task[Page] | None = asyncio.ensure_future(
            self.fetch_page(params, None, want())
        )
        seen: set[str] = set()
        empty = EmptyPages(self.max_empty_pages)
        try:
            while task is not None:
                page = await task
                task = None
                empty.check(page)
                if remaining is not None:
                    if len(page.raws) >= remaining:
                        page.raws = page.raws[:remaining]
                        page._records = None
                        page.has_more = False
                    remaining -= len(page.raws)
                if page.has_more:
                    assert page.next is not None
                    if page.next in seen:
                        raise PayloadError(
                            "the server gave the same `next` cursor twice; stopping",
                            "repeated cursor",
                        )
                    seen.add(page.next)
                    if prefetch:
                        task = asyncio.ensure_future(self.fetch_page(params, page.next, want()))
                yield page
                if page.has_more and task is None:
                    task = asyncio.ensure_future(self.fetch_page(params, page.next, want()))
        finally:
            if task is not None and not task.done():
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass

    async def count(self, params: Params) -> tuple[int, bool]:
        """(number of matching events, exact from the server's ``total``?): one request when
        the server gives ``total``, otherwise every page is counted."""
        page = await self.fetch_page(params, None, 1)
        if page.total is not None:
            return page.total, True
        n = len(page.raws)
        seen: set[str] = set()
        empty = EmptyPages(self.max_empty_pages)
        empty.check(page)
        while page.has_more and page.next is not None:  # go on from there, in big pages
            if page.next in seen:
                raise PayloadError(
                    "the server gave the same `next` cursor twice; stopping", "repeated cursor"
                )
            seen.add(page.next)
            page = await self.fetch_page(params, page.next, 1000)
            empty.check(page)
            n += len(page.raws)
        return n, False

    async def facets(self, field: str, params: Params) -> list[FacetCount] | None:
        """The server's counts for one facet (``actor``, ``event_type``, ``workspace``, or the
        core's plural names) under ``params``; None when it has no facets endpoint (404)."""
        name = FACET_PARAMS.get(field, field)
        if name not in FACET_PARAMS.values():
            raise ValueError(f"unknown facet {field!r}")
        url = self._url.copy_with(path=self._url.path.rstrip("/") + "/facets")
        status, headers, body = await self._get(url, [("field", name), *params])
        if status in (404, 405, 501):
            return None
        if status >= 400:
            self._raise_for(status, body, headers)
        return parse_facets(body)

    async def timeline(self, params: Params, buckets: int) -> TimelineCounts | None:
        """The server's matches per time bucket under ``params`` (at most ``buckets``); None
        when it has no timeline endpoint (404)."""
        url = self._url.copy_with(path=self._url.path.rstrip("/") + "/timeline")
        status, headers, body = await self._get(url, [("buckets", str(buckets)), *params])
        if status in (404, 405, 501):
            return None
        if status >= 400:
            self._raise_for(status, body, headers)
        return parse_timeline(body)

    # -- plumbing ----------------------------------------------------------------------------

    def _follow(self, ref: str) -> httpx.URL:
        try:
            url = self._url.join(ref)
        except (httpx.InvalidURL, ValueError):
            raise PayloadError("the server's `next` is not a usable URL", "bad next") from None
        if (url.scheme, url.host, url.port) != (self._url.scheme, self._url.host, self._url.port):
            raise PayloadError(
                f"the server's `next` points to another host ({clean(url.host, 80)}); refusing "
                "to send the token there",
                "next on another origin",
            )
        return url

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            return {}
        return {"Authorization": f"Bearer {self._token.reveal()}"}

    def _redact(self, text: str) -> str:
        return redact(text, self._token)

    def _server_text(self, text: Any) -> str:
        """The server's words for a message: the token redacted from all of them *before* the
        cut (a cut could leave a part of it), then made safe and cut, then redacted again."""
        if not text:
            return ""
        return self._redact(clean(self._redact(str(text)), MAX_SERVER_MESSAGE))

    async def _get(self, url: httpx.URL, params: Params | None) -> Answer:
        """One GET with retries: (status, headers, body) of the first answer that is not a
        retryable failure; raises after the last attempt."""
        query = httpx.QueryParams(tuple(params)) if params is not None else None
        attempt = 1
        while True:
            outcome = await self._attempt(url, query, attempt)
            if not isinstance(outcome, _Retry):
                return outcome
            if attempt == self.attempts:
                raise outcome.error
            delay = outcome.wait if outcome.wait is not None else self._backoff(attempt)
            log.info("retrying %s in %.2f s: %s", self.where, delay, outcome.error)
            self._announce(outcome, delay, attempt)
            await (self._sleep or backoff_sleep)(delay)
            attempt += 1

    def _announce(self, outcome: _Retry, delay: float, attempt: int) -> None:
        """Tell ``on_wait`` about a long wait, or one shorter than the server asked for."""
        if self.on_wait is None:
            return
        asked = outcome.asked
        if delay < NOTICE_WAIT and (asked is None or asked <= delay):
            return
        why = (
            f"server asks to retry in {duration(asked)}"
            if asked is not None
            else f"the request to {self.where} failed"
        )
        capped = " (the longest audit-tui waits)" if asked is not None and asked > delay else ""
        self.on_wait(
            f"{why}; retrying in {duration(delay)}{capped}, attempt {attempt + 1} of "
            f"{self.attempts}"
        )

    async def _attempt(
        self, url: httpx.URL, query: httpx.QueryParams | None, attempt: int
    ) -> Answer | _Retry:
        """One request: its answer, or a failure worth another attempt (a timeout, a network
        error, 429, 502/503/504); raises what another attempt cannot mend."""
        started = time.perf_counter()
        try:
            # a total deadline for the whole answer, as well as httpx's per-read timeout: a
            # server trickling a byte a second never lets a read time out
            async with asyncio.timeout(self.timeout):
                status, resp_headers, body = await self._send(url, query)
        except httpx.RequestError as exc:
            return _Retry(self._request_failure(exc, attempt))
        except TimeoutError:
            return _Retry(
                RemoteTimeoutError(
                    f"timed out waiting for {self.where}: the answer took longer than "
                    f"{self.timeout:g} s (--timeout) after {attempt} "
                    f"attempt{'s' if attempt > 1 else ''}; try a longer --timeout"
                )
            )
        ms = (time.perf_counter() - started) * 1000
        log.debug("GET %s -> %d (%.0f ms, %d bytes)", _safe_url(url), status, ms, len(body))
        if status != 429 and status not in RETRY_STATUSES:
            return status, resp_headers, body
        after = _retry_after(resp_headers.get("retry-after"))
        error: RemoteError
        if status == 429:
            error = self._rate_limit_error(body, after, attempt)
        else:
            error = self._status_error(status, body, attempt)
        return _Retry(error, min(after, self.max_retry_after) if after is not None else None, after)

    async def _send(self, url: httpx.URL, query: httpx.QueryParams | None) -> Answer:
        """The GET itself, its body read up to a cap (a page over the cap is a PayloadError);
        httpx's errors pass through."""
        client = self._client()
        headers = self._headers()
        self.requests += 1
        async with client.stream("GET", url, params=query, headers=headers) as resp:
            status = resp.status_code
            cap = self.max_page_bytes if status < 400 else MAX_ERROR_BYTES
            body = await _read(resp, cap)
            if len(body) > cap and status < 400:
                raise PayloadError(
                    f"the page is larger than {cap // (1024 * 1024)} MB; use a smaller --page-size",
                    "page too large",
                )
            return status, resp.headers, body

    def _request_failure(self, exc: httpx.RequestError, attempt: int) -> RemoteError:
        """The app's error for a request that got no answer: returned when another attempt
        may help (a timeout, a network error), raised when it cannot (TLS verification, a
        redirect loop, an unsupported scheme, an unreadable body). Call it inside ``except``."""
        if isinstance(exc, httpx.TimeoutException):
            return self._timeout_error(exc, attempt)
        if isinstance(exc, httpx.TransportError):
            if _is_tls_failure(exc):
                raise NetworkError(
                    f"TLS verification failed for {self.where} ({self._reason(exc)}); if "
                    "the server uses a private CA, pass it with --ca-bundle PATH"
                ) from None
            if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
                raise SettingsError(f"cannot request {self.where}: {self._reason(exc)}") from None
            return NetworkError(
                f"cannot reach {self.where} ({self._reason(exc)}) after {attempt} "
                f"attempt{'s' if attempt > 1 else ''}"
            )
        if isinstance(exc, httpx.TooManyRedirects):
            raise NetworkError(f"{self.where} redirects in a loop; check the URL") from None
        # an undecodable body, and the like
        raise PayloadError(
            f"cannot read the answer of {self.where} ({self._reason(exc)})", "undecodable"
        ) from None

    def _backoff(self, attempt: int) -> float:
        """The wait after ``attempt`` when the server names none: exponential, capped, with
        "equal jitter" (half of it fixed, half random)."""
        base: float = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return base / 2 + self._rand() * base / 2

    def _reason(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        node: BaseException | None = exc
        for _ in range(8):  # the OS's reason ("Connection refused") beats httpx's summary
            node = node.__cause__ or node.__context__ if node is not None else None
            if isinstance(node, OSError) and (node.errno or node.strerror):
                errno = node.errno
                text = os.strerror(errno) if errno and errno > 0 else str(node.strerror or node)
                break
        return self._redact(clean(self._redact(text), 160))

    def _timeout_error(self, exc: httpx.TimeoutException, attempt: int) -> RemoteTimeoutError:
        what = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
        return RemoteTimeoutError(
            f"timed out {what} {self.where} (timeout {self.timeout:g} s) after {attempt} "
            f"attempt{'s' if attempt > 1 else ''}; try a longer --timeout"
        )

    def _envelope(self, body: bytes) -> tuple[str, str]:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return "", ""
        if not isinstance(doc, dict):
            return "", ""
        err = doc.get("error")
        code: Any = ""
        message: Any = ""
        if isinstance(err, dict):
            code, message = err.get("code") or "", err.get("message") or ""
        elif isinstance(err, str):
            message = err
        message = message or doc.get("message") or doc.get("detail") or ""
        if not isinstance(message, str):
            message = orjson.dumps(message).decode()
        return self._server_text(str(code)), self._server_text(message)

    def _detail(self, status: int, code: str, message: str) -> str:
        from http import HTTPStatus

        if not message and not code:
            try:
                message = HTTPStatus(status).phrase
            except ValueError:
                message = "no message"
        text = message or code
        if code and message and code not in message:
            text = f"{message} [{code}]"
        return f"{status}: {text}"

    def _status_error(self, status: int, body: bytes, attempt: int) -> ServerError:
        code, message = self._envelope(body)
        return ServerError(
            f"the server is unavailable ({self._detail(status, code, message)}) after {attempt} "
            f"attempt{'s' if attempt > 1 else ''}",
            status,
            code,
            message,
        )

    def _rate_limit_error(self, body: bytes, after: float | None, attempt: int) -> RateLimitError:
        code, message = self._envelope(body)
        hint = f"; the server asks to wait {after:g} s" if after is not None else ""
        return RateLimitError(
            f"the server is rate limiting ({self._detail(429, code, message)}) after {attempt} "
            f"attempt{'s' if attempt > 1 else ''}{hint}",
            after,
        )

    def _raise_for(
        self, status: int, body: bytes, headers: httpx.Headers, *, cursor: bool = False
    ) -> None:
        code, message = self._envelope(body)
        detail = self._detail(status, code, message)
        if status in (401, 403):
            if self._token is None:
                raise AuthError(
                    f"the server wants a token ({detail}); set $AUDIT_TUI_TOKEN, use "
                    "--token-file PATH or a profile",
                    status,
                )
            raise AuthError(f"the server rejected the token ({detail})", status)
        if status == 400 and cursor and ("cursor" in code.lower() or "cursor" in message.lower()):
            raise CursorError(
                f"the server rejected the paging cursor ({detail}); start again from the first "
                "page",
                status,
                code,
                message,
            )
        if status == 404:
            raise ServerError(
                f"no audit API at {self.url} ({detail}); check the URL", status, code, message
            )
        if status < 500:
            raise ServerError(f"the server refused the request ({detail})", status, code, message)
        raise ServerError(f"the server failed ({detail})", status, code, message)


async def _read(resp: httpx.Response, cap: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            break
    return b"".join(chunks)


def _is_tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(node):
            return True
        node = node.__cause__ or node.__context__
    return False


def _safe_url(url: httpx.URL) -> str:
    return str(url.copy_with(userinfo=b"")) if url.userinfo else str(url)


__all__ = [
    "FACET_PARAMS",
    "EmptyPages",
    "FacetCount",
    "MAX_EMPTY_PAGES",
    "Page",
    "Params",
    "RemoteClient",
    "parse_facets",
    "parse_timeline",
    "TimelineCounts",
    "parse_page",
    "describe_undecodable",
    "duration",
    "query_params",
    "split_page",
    "tls_verify",
]
