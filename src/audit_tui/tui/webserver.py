"""The web server of ``audit-tui web``: textual-serve's :class:`~textual_serve.server.Server`,
with what serving audit events to a browser needs besides.

- **Only its own pages.** A request whose ``Host`` is not this server's is refused (a site the
  user visits cannot reach 127.0.0.1 by re-binding its own name), and the WebSocket that
  drives a page must come from a page of this server (``Origin``): browsers let any site open
  a WebSocket to 127.0.0.1, and that one would read every event.
- **A bounded number of pages.** Each page is an ``audit-tui`` process holding the source;
  past ``max_pages`` a new page says so instead of starting another.
- **Nothing from elsewhere.** The page is textual-serve's with the font served from here
  (``data/web/app_index.html``).
- **Quiet logs.** textual-serve logs errors with each frame's local variables, which can hold
  the page's environment (a token): this logger prints one line per event, no locals.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

from audit_tui.serve import bind

TEMPLATES = Path(__file__).resolve().parent.parent / "data" / "web"
WILDCARDS = ("0.0.0.0", "::", "")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

log = logging.getLogger("audit-tui web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def allowed_hosts(host: str, port: int, public_url: str | None) -> frozenset[str] | None:
    """The ``Host`` headers this server answers (lower case), None for any (bound to every
    address with no public URL given: it cannot know its names)."""
    names: set[str] = set()
    if public_url:
        names.add(urlsplit(public_url).netloc.lower())
    if host in ("127.0.0.1", "::1", "localhost"):
        names |= {f"{n}:{port}" for n in LOOPBACK_NAMES}
    elif host not in WILDCARDS:
        names.add(f"{bracketed(host).lower()}:{port}")
    elif not public_url:
        return None
    if port == 80:  # a browser leaves the default port out of Host
        names |= {n.rsplit(":", 1)[0] for n in names if n.endswith(":80")}
    return frozenset(names)


class PageServer(Server):
    """Serve ``command`` (one process per page) on the listening socket ``sock``."""

    def __init__(
        self,
        command: str,
        sock: socket.socket,
        *,
        title: str,
        public_url: str | None = None,
        max_pages: int = 8,
        export_dir: str = ".",
    ) -> None:
        host, port = sock.getsockname()[:2]
        self.export_dir = export_dir
        self.sock = sock
        self.fixed_url = public_url.rstrip("/") if public_url else None
        self.hosts = allowed_hosts(host, port, public_url)
        self.max_pages = max_pages
        self.pages = 0
        shown = "127.0.0.1" if host in WILDCARDS else bracketed(host)
        super().__init__(
            command,
            host=host,
            port=port,
            title=title,
            public_url=self.fixed_url or f"http://{shown}:{port}",
            templates_path=TEMPLATES,
        )

    def initialize_logging(self) -> None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("audit-tui web: %(message)s"))
        for name in ("textual-serve", "audit-tui web", "aiohttp"):
            logger = logging.getLogger(name)
            logger.handlers[:] = [handler]
            logger.propagate = False
            logger.setLevel(logging.INFO if name == "audit-tui web" else logging.WARNING)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._only_own_pages)
        return app

    @web.middleware
    async def _only_own_pages(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.host.lower()
        if self.hosts is not None and host not in self.hosts:
            log.warning("refused a request for host %r (not this server's)", host[:100])
            return web.Response(status=421, text="audit-tui web: not this server's address\n")
        if request.path == "/ws":
            origins = {f"http://{host}", f"https://{host}"}
            if self.fixed_url:
                parts = urlsplit(self.fixed_url)
                origins.add(f"{parts.scheme}://{parts.netloc}".lower())
            origin = (request.headers.get("Origin") or "").lower()
            if origin not in origins:
                log.warning(
                    "refused a WebSocket from origin %r (not a page of this server)", origin[:100]
                )
                return web.Response(status=403, text="audit-tui web: not a page of this server\n")
        return await handler(request)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        # the page's WebSocket goes back where the page came from (its Host is checked above)
        if self.fixed_url is None:
            self.public_url = f"{request.scheme}://{request.host}"
        response: web.StreamResponse = await super().handle_index(request)
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if self.pages >= self.max_pages:
            return await self._refuse_page(request)
        self.pages += 1
        log.info("page opened (%d open)", self.pages)
        try:
            return await super().handle_websocket(request)
        finally:
            self.pages -= 1
            log.info("page closed (%d open)", self.pages)

    async def _refuse_page(self, request: web.Request) -> web.WebSocketResponse:
        """Say on the page why it does not start, and keep it open until the user leaves."""
        log.warning("refused a page: %d open already (--max-pages)", self.pages)
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        await websocket.send_bytes(
            (
                f"\r\n  audit-tui web: too many pages open (--max-pages {self.max_pages}).\r\n"
                "  Close one, then reload this page.\r\n"
            ).encode()
        )
        async for _ in websocket:
            pass
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        sys.stdout.write(f"audit-tui web: serving {self.title} at {self.public_url}/\n")
        sys.stdout.write(
            f"audit-tui web: each page runs its own audit-tui; exports go to {self.export_dir}\n"
            "audit-tui web: Ctrl+C stops\n"
        )
        sys.stdout.flush()

    def serve(self, debug: bool = False) -> None:
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_exit)
        web.run_app(
            self._make_app(),
            sock=self.sock,
            handle_signals=False,
            loop=loop,
            print=None,
            access_log=None,
        )


class ListenError(Exception):
    """The address to serve on cannot be listened on (in use, not this host's): one line."""


def serve_pages(
    command: str,
    *,
    host: str,
    port: int,
    public_url: str | None,
    max_pages: int,
    title: str,
    export_dir: str = ".",
) -> int:
    """Listen on host:port and serve a page per visitor until interrupted; the exit code.
    Raises :class:`ListenError` when host:port cannot be listened on."""
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise ListenError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    try:
        PageServer(
            command,
            sock,
            title=title,
            public_url=public_url,
            max_pages=max_pages,
            export_dir=export_dir,
        ).serve()
    finally:
        sock.close()
    return 0
