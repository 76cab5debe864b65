#!/usr/bin/env python3
"""Write SVG screenshots of the browser on the bundled sample into ``screenshots/``.

    python scripts/screenshots.py [--out screenshots]

Uses the app the tests use (``AuditApp``) with a fixed "now", so the pictures only change when
the app or the sample does: main screen, a filtered view, the event details, and 80x24. Falls
back to the test fixture when the sample module is not available. ``web.png`` is the page of
``audit-tui web`` in the system's Chromium (``--no-web`` leaves it out).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
os.environ.pop("NO_COLOR", None)

from textual.pilot import Pilot  # noqa: E402

from audit_tui.query import Query  # noqa: E402
from audit_tui.sources.file import open_source  # noqa: E402
from audit_tui.store import Store  # noqa: E402
from audit_tui.tui.app import AuditApp  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "tui" / "data" / "events.jsonl"
NOW = datetime(2026, 11, 26, 15, 42, 0, tzinfo=UTC)  # the sample's notional "now" (a Thursday)


def opener() -> Callable[[], Store]:
    try:
        import audit_tui.sources.sample  # noqa: F401

        return lambda: open_source(None, demo=True, now=NOW)
    except ImportError:

        def fixture() -> Store:
            store = open_source(str(FIXTURE))
            store.label = FIXTURE.name
            return store

        return fixture


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until loading is done, the final results are shown and no worker runs."""
    app = pilot.app
    assert isinstance(app, AuditApp)
    for _ in range(1000):
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = app.browser
        if screen is not None and screen.done and not any(w.is_running for w in app.workers):
            break
        await pilot.pause(0.02)
    await app.workers.wait_for_complete()
    await pilot.pause()
    # toasts (e.g. "loading done") would only clutter the pictures
    app.clear_notifications()
    await pilot.pause()


async def filtered(pilot: Pilot[Any]) -> None:
    await pilot.press("e")  # the Event Type panel, with the deployment story ticked
    await pilot.pause()


async def detail(pilot: Pilot[Any]) -> None:
    await pilot.press("j", "j", "enter")
    await pilot.pause()


async def nothing(pilot: Pilot[Any]) -> None:
    return None


SHOTS: list[tuple[str, tuple[int, int], Callable[[Pilot[Any]], Awaitable[None]], Query]] = [
    ("main", (160, 45), nothing, Query()),
    (
        "filtered",
        (160, 45),
        filtered,
        Query(
            period="30d",
            event_types=frozenset({"Agent Deployed", "Deployment Failed", "Agent Rolled Back"}),
        ),
    ),
    ("detail", (160, 45), detail, Query()),
    ("small-80x24", (80, 24), nothing, Query()),
]


async def shoot(out: Path) -> None:
    open_store = opener()
    for name, size, steps, query in SHOTS:
        app = AuditApp(open_store, query, now=lambda: NOW, native_clipboard=False)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await steps(pilot)
            path = app.save_screenshot(filename=f"{name}.svg", path=str(out))
            print(path)
        if app.browser is not None and app.browser.store is not None:
            app.browser.store.close()


def shoot_web(out: Path) -> None:
    """``audit-tui web --demo`` in Chromium, with a search typed into the page."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from webpage import Page, chromium, count_shown, web_server

    with web_server("--demo", "--now", NOW.isoformat()) as server, chromium() as browser:
        page = Page(browser, server.url, width=1280, height=760)
        page.open()
        page.wait_for(lambda screen: count_shown(screen) is not None)
        page.search("invoice")
        page.wait_for(lambda screen: (count_shown(screen) or (0, 0))[0] < 1000)
        page.page.wait_for_timeout(500)  # the canvas draws on the next animation frame
        path = out / "web.png"
        page.page.screenshot(path=str(path))
        page.close()
        print(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--no-web", action="store_true", help="leave out web.png (Chromium)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(args.out))
    if not args.no_web:
        shoot_web(args.out)


if __name__ == "__main__":
    main()
