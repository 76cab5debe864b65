"""Helpers for the browser tests: fixture files, a fixed "now", an app factory, and
:func:`settle`, which waits until loading and every query worker are done."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from audit_tui.query import Query
from audit_tui.sources.file import open_source
from audit_tui.tui.app import AuditApp
from audit_tui.tui.screens.main import MainScreen

DATA = Path(__file__).parent / "data"
EVENTS = DATA / "events.jsonl"
HOSTILE = DATA / "hostile.jsonl"
FIXED_NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


def make_app(path: Path = EVENTS, query: Query | None = None, **kwargs: Any) -> AuditApp:
    """The browser over ``path`` with a fixed "now" and no native clipboard tools.

    The store is labelled with the file's name (not its path) so pictures do not depend on
    where the repository is checked out."""

    def open_store() -> Any:
        store = open_source(str(path))
        store.label = path.name
        return store

    return AuditApp(
        open_store,
        query or Query(),
        now=lambda: FIXED_NOW,
        native_clipboard=False,
        **kwargs,
    )


def browser(app: AuditApp) -> MainScreen:
    screen = app.browser
    assert screen is not None
    return screen


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until the store has loaded, its results are shown and no worker is running."""
    app = pilot.app
    assert isinstance(app, AuditApp)
    for _ in range(400):
        await pilot.pause()
        screen = app.browser
        busy = [w for w in app.workers if w.is_running]
        if busy:
            await app.workers.wait_for_complete()
            continue
        if screen is not None and screen.store is not None and screen.done:
            break
        await pilot.pause(0.02)
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key, then let the search debounce pass and the results arrive."""
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])
    await pilot.pause(0.3)
    await settle(pilot)
