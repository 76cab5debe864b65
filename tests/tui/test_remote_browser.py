"""The browser on an audit API: `audit-tui serve`'s app on 127.0.0.1 (a free port) over the
fixture file, driven with Pilot. A thin ASGI layer in front records what the server was asked
and, when a test says so, answers like a server without `total`, without a facets endpoint, or
refusing cursors; everything else is the real server over real HTTP."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest
from textual.pilot import Pilot

from audit_tui.query import Query
from audit_tui.remote.settings import RemoteSettings, Secret
from audit_tui.serve import AuditAPI, create_app, serve_in_thread
from audit_tui.sources.file import open_source
from audit_tui.tui.app import RemoteApp
from audit_tui.tui.screens.auth import AuthErrorScreen
from audit_tui.tui.screens.detail import DetailScreen
from audit_tui.tui.screens.export import ExportScreen
from audit_tui.tui.screens.remote import RemoteScreen
from audit_tui.tui.widgets.event_table import EventTable
from audit_tui.tui.widgets.filters import FacetPanel
from audit_tui.tui.widgets.status import StatusBar

from .helpers import EVENTS, FIXED_NOW

TOKEN = "tok-TUI-remote-93be51"  # recognisable: it must never show on screen
SIZE = (150, 45)
PAGE = 100


@dataclass
class Layer:
    """ASGI middleware: remembers each request's path and parameters; can drop `total` from
    pages, answer 404 for the facets endpoint, or refuse every cursor."""

    app: Any
    seen: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    no_total: bool = False
    no_facets: bool = False
    no_timeline: bool = False
    cursor_status: int | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        params = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
        self.seen.append((scope["path"], params))
        if (self.no_facets and scope["path"].endswith("/facets")) or (
            self.no_timeline and scope["path"].endswith("/timeline")
        ):
            await answer(send, 404, {"error": {"code": "not_found", "message": "no such endpoint"}})
            return
        if self.cursor_status and any(k == "cursor" for k, _ in params):
            code = "invalid_cursor" if self.cursor_status == 400 else "internal"
            message = "cursor expired" if self.cursor_status == 400 else "db down"
            await answer(send, self.cursor_status, {"error": {"code": code, "message": message}})
            return
        if not self.no_total:
            await self.app(scope, receive, send)
            return
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                body = b"".join(chunks)
                if started["status"] == 200 and scope["path"].endswith("/audit-logs"):
                    doc = orjson.loads(body)
                    doc.pop("total", None)
                    body = orjson.dumps(doc)
                await answer(send, started["status"], body)

        await self.app(scope, receive, capture)

    def cursors(self) -> list[list[tuple[str, str]]]:
        return [p for path, p in self.seen if any(k == "cursor" for k, _ in p)]

    def pages(self) -> list[list[tuple[str, str]]]:
        return [p for path, p in self.seen if path.endswith("/audit-logs")]


async def answer(send: Any, status: int, body: Any) -> None:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


@pytest.fixture(scope="module")
def store() -> Iterator[Any]:
    s = open_source(str(EVENTS))
    assert s.wait(10)
    yield s
    s.close()


@pytest.fixture(scope="module")
def served(store: Any) -> Iterator[tuple[str, Layer]]:
    layer = Layer(create_app(AuditAPI(store, TOKEN)))
    with serve_in_thread(layer) as url:
        yield url, layer


@pytest.fixture
def server(served: tuple[str, Layer]) -> tuple[str, Layer]:
    url, layer = served
    layer.seen.clear()
    layer.no_total = layer.no_facets = layer.no_timeline = False
    layer.cursor_status = None
    return url, layer


def settings(url: str, token: str = TOKEN) -> RemoteSettings:
    return RemoteSettings(url, Secret(token), "$AUDIT_TUI_TOKEN", timeout=5.0, page_size=PAGE)


def make_remote(url: str, query: Query | None = None, **kwargs: Any) -> RemoteApp:
    token = kwargs.pop("token", TOKEN)
    return RemoteApp(
        settings(url, token),
        query or Query(),
        now=lambda: FIXED_NOW,
        label="audit-api (test)",
        native_clipboard=False,
        **kwargs,
    )


def screen_of(app: Any) -> RemoteScreen:
    screen = app.browser
    assert isinstance(screen, RemoteScreen)
    return screen


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until the first page (or its failure) is shown, no worker runs and no page is on
    its way."""
    app = pilot.app
    for _ in range(400):
        await pilot.pause()
        if any(w.is_running for w in app.workers):
            await app.workers.wait_for_complete()
            continue
        screen = screen_of(app)
        if screen.pager is not None and screen.pager.loading:
            await pilot.pause(0.02)
            continue
        if screen.view.ready:
            break
        await pilot.pause(0.02)
    await app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type key by key, let the search debounce pass, and wait for the new first page."""
    await pilot.press(*text)
    await pilot.pause(RemoteScreen.DEBOUNCE + 0.1)
    await settle(pilot)


def ids(store: Any, query: Query) -> list[str]:
    return [store.record(int(p))["id"] for p in store.search(query, FIXED_NOW).positions]


def status(app: Any) -> str:
    return screen_of(app).query_one(StatusBar).plain


def table(app: Any) -> EventTable:
    return screen_of(app).query_one(EventTable)


def shown_ids(app: Any) -> list[str]:
    t = table(app)
    return [t.row_at(i).id for i in range(t.view.count)]  # type: ignore[union-attr]


async def test_first_page_then_more_as_you_scroll(server: tuple[str, Layer], store: Any) -> None:
    url, layer = server
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app).view.count == PAGE
        assert shown_ids(app) == ids(store, Query())[:PAGE]  # newest first, as the server says
        assert status(app).startswith(f"240 events ({PAGE} loaded)")
        assert "audit-api (test)" in status(app)
        first = layer.pages()[0]
        assert ("limit", str(PAGE)) in first and not any(k == "cursor" for k, _ in first)

        await pilot.press("G")  # the end of what is loaded: the next page shows
        await settle(pilot)
        assert table(app).view.count == 2 * PAGE
        assert layer.cursors(), "the next page is asked for with the server's cursor"
        await pilot.press("G")
        await settle(pilot)
        assert table(app).view.count == 240
        assert shown_ids(app) == ids(store, Query())
        assert status(app).startswith("240 events")
        assert "loaded" not in status(app)
        assert not table(app).view.has_more
        client = screen_of(app).client
    assert client is not None and client._http is None  # closed on the way out


async def test_without_total_the_status_says_more_available(server: tuple[str, Layer]) -> None:
    url, layer = server
    layer.no_total = True
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert status(app).startswith(f"{PAGE} loaded, more available")
        await pilot.press("G")
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        assert status(app).startswith("240 events")  # paged to the end: now it is known


async def test_search_and_facets_restart_paging_with_the_filters_on_the_server(
    server: tuple[str, Layer], store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a pause between two keys longer than the debounce sends the partial word: on a loaded
    # machine Pilot's keys can be 0.25 s apart, so the test waits longer for a pause
    monkeypatch.setattr(RemoteScreen, "DEBOUNCE", 2.0)
    url, layer = server
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        layer.seen.clear()
        await pilot.press("slash")
        await type_text(pilot, "terraform")
        await pilot.pause(RemoteScreen.DEBOUNCE + 0.2)
        await settle(pilot)
        pages = layer.pages()
        assert pages and ("q", "terraform") in pages[0]
        assert not any(k == "cursor" for k, _ in pages[0])  # from the first page again
        assert all(("q", "t") not in p for p in pages)  # typing was debounced
        expected = ids(store, Query(text="terraform"))
        assert shown_ids(app) == expected
        assert status(app).startswith(f"{len(expected)} events")
        assert any(path.endswith("/facets") and ("q", "terraform") in p for path, p in layer.seen)

        await pilot.press("escape", "e", "space")  # tick the top event type
        await settle(pilot)
        query = screen_of(app).audit_query
        (etype,) = query.event_types
        last = layer.pages()[-1]
        assert ("event_type", etype) in last and ("q", "terraform") in last
        assert shown_ids(app) == ids(store, query)
        types = screen_of(app).query_one("#facet-event_types", FacetPanel)
        ticked = next(v for v in types.values if v.value.lower() == etype.lower())
        assert ticked.count == len(shown_ids(app))  # the server's counts, under the search
        assert not screen_of(app).query_one("#facet-note").display  # exact counts


async def test_detail_shows_and_copies_the_servers_json(server: tuple[str, Layer]) -> None:
    url, _ = server
    lines = EVENTS.read_bytes().splitlines()
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        raw = screen_of(app).pager.raws[1]  # type: ignore[union-attr]
        assert screen.raw == raw and raw in lines  # the server's text: the file's line
        assert '"id": "evt_00238"' in str(screen.query_one("#detail-json").render())
        await pilot.press("c")
        assert app.clipboard == raw.decode()


async def test_a_refused_token_shows_the_way_out(server: tuple[str, Layer]) -> None:
    url, _ = server
    wrong = "tok-WRONG-" + "7" * 12
    app = make_remote(url, token=wrong)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AuthErrorScreen)
        text = str(app.screen.query_one("#auth-body").render())
        assert "the server rejected the token (401: the token is not valid [invalid_token])" in text
        assert "AUDIT_TUI_TOKEN" in text and "--token-file" in text and "--profile" in text
        svg = app.export_screenshot()
        assert wrong not in svg and TOKEN not in svg
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 1


async def test_without_a_facets_endpoint_counts_are_partial(
    server: tuple[str, Layer],
) -> None:
    url, layer = server
    layer.no_facets = True
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        note = screen_of(app).query_one("#facet-note")
        assert note.display
        assert "counts from loaded events" in str(note.render())
        types = screen_of(app).query_one("#facet-event_types", FacetPanel)
        assert sum(v.count for v in types.values) == PAGE  # over the loaded events only
        await pilot.press("G")
        await settle(pilot)
        assert sum(v.count for v in types.values) == 2 * PAGE  # recounted as pages arrive


async def test_a_refused_cursor_offers_r_and_keeps_the_rows(server: tuple[str, Layer]) -> None:
    url, layer = server
    layer.cursor_status = 400
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        assert table(app).view.count == PAGE  # what was loaded stays
        messages = [n.message for n in app._notifications]
        assert any("rejected the paging cursor" in m and "Press r" in m for m in messages)
        assert app.is_running and app.screen is screen_of(app)
        layer.cursor_status = None
        layer.seen.clear()
        await pilot.press("r")
        await settle(pilot)
        assert not any(k == "cursor" for k, _ in layer.pages()[0])
        await pilot.press("G")
        await settle(pilot)
        assert table(app).view.count == 2 * PAGE


async def test_a_failing_page_keeps_the_rows_and_a_move_retries(
    server: tuple[str, Layer],
) -> None:
    url, layer = server
    layer.cursor_status = 500
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        assert table(app).view.count == PAGE
        assert "the server failed (500: db down [internal])" in status(app)
        assert any("db down" in n.message for n in app._notifications)
        layer.cursor_status = None
        await pilot.press("k")  # a move near the end asks again
        await settle(pilot)
        assert table(app).view.count == 2 * PAGE
        assert "db down" not in status(app)


async def test_export_fetches_every_page(
    server: tuple[str, Layer], store: Any, tmp_path: Path
) -> None:
    url, _ = server
    query = Query(period="90d")
    app = make_remote(url, query, export_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        expected = ids(store, query)
        assert table(app).view.count == PAGE < len(expected)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        assert f"{len(expected)} events" in str(screen.query_one("#export-what").render())
        assert "Every page is fetched" in str(screen.query_one("#export-what").render())
        await pilot.press("right", "right", "space")  # JSON lines
        await pilot.click("#export-start")
        for _ in range(200):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if app.screen is not screen:
                break
        target = tmp_path / "audit-export-20261120-120000.jsonl"
        written = [orjson.loads(line)["id"] for line in target.read_bytes().splitlines()]
        assert written == expected
        manifest = orjson.loads((tmp_path / f"{target.name}.manifest.json").read_bytes())
        assert manifest["count"] == len(expected)
        assert manifest["source"] == url
        assert manifest["query"]["period"] == "90d"
        assert sorted(p.name for p in tmp_path.iterdir() if p.name != "state") == [
            target.name,
            f"{target.name}.manifest.json",
        ]


def test_the_command_line_opens_the_remote_browser(
    server: tuple[str, Layer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`audit-tui URL` reaches run_remote_browser with the settings and the query."""
    from audit_tui.commands import browse as browse_command
    from audit_tui.tui import app as app_mod

    url, _ = server
    seen: list[Any] = []

    def fake(settings: RemoteSettings, query: Query, follow: bool = False) -> int:
        seen.append((settings, query))
        return 0

    monkeypatch.setattr(app_mod, "run_remote_browser", fake)
    monkeypatch.setenv("AUDIT_TUI_TOKEN", TOKEN)
    monkeypatch.setenv("AUDIT_TUI_CONFIG", "/nonexistent/config.toml")
    args = argparse.Namespace(
        source=url,
        profile=None,
        token_file=None,
        timeout=None,
        page_size=None,
        ca_bundle=None,
        demo=False,
        follow=False,
    )
    assert browse_command.run_remote_browse(args, Query(text="x")) == 0
    ((settings_given, query_given),) = seen
    assert settings_given.url == url and query_given == Query(text="x")


def test_remote_main_screen(snap_compare: Any, server: tuple[str, Layer]) -> None:
    """The port changes from run to run: the app is labelled instead of showing the URL."""
    url, _ = server
    assert snap_compare(make_remote(url), terminal_size=(140, 40), run_before=settle)


async def test_an_unexpected_error_in_the_first_page_is_shown_logged_and_r_tries_again(
    server: tuple[str, Layer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a RemoteError: before, the screen stayed at "connecting…" for ever, silently."""
    from audit_tui.remote.pager import RemotePager

    url, _ = server
    real = RemotePager.restart

    async def broken(self: RemotePager, query: Query) -> Any:
        raise RuntimeError("pager broke [/] \x1b]0;title\x07")

    monkeypatch.setattr(RemotePager, "restart", broken)
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        line = app.failures[0]
        assert line.startswith("something went wrong in RemoteScreen._restart: RuntimeError:")
        assert "pager broke [/] \\e]0;title\\x07" in line  # sanitised, shown as it is
        assert f"details in {app.log_path}" in line and "\n" not in line
        assert line in [n.message for n in app._notifications]
        assert "connecting…" not in status(app)
        assert status(app).startswith("no events loaded")
        assert "something went wrong" in status(app)
        assert "pager broke" in screen_of(app).view.empty_message()
        log = app.log_path.read_text()
        assert "Traceback (most recent call last)" in log and "RuntimeError: pager broke" in log
        assert "\x1b" not in log and TOKEN not in log

        monkeypatch.setattr(RemotePager, "restart", real)
        await pilot.press("r")
        await settle(pilot)
        assert table(app).view.count == PAGE
        assert status(app).startswith(f"240 events ({PAGE} loaded)")
