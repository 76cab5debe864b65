"""The browser never dies on keys.

Keys that arrive in one burst (a slow SSH link, a repeating key) reach the app before any
layout: here they are posted to the app back to back, with no pause, the way a terminal
delivers them. First the sequence that used to kill the app (``ctrl+p`` then PageUp: the
palette's list paged at height 0, ``KeyError: 0``), then a key storm: hypothesis-generated
sequences of the app's keys, arrows, page keys, enter/escape/tab, ``ctrl+p`` and pasted hostile
text, started on each screen. After each storm the app still runs, nothing was caught by the
guard (no handler raised), and the status line's count is the view's, which is the store's
count for the query shown. ``pytest --storm`` runs many more examples (see tests/tui/conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual import events
from textual.app import SystemCommand
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen

import audit_tui.tui.app as app_module
from audit_tui.tui.app import AuditApp
from audit_tui.tui.palette import SafePalette
from audit_tui.tui.screens.custom_range import CustomRangeScreen
from audit_tui.tui.screens.detail import DetailScreen
from audit_tui.tui.screens.export import ExportScreen
from audit_tui.tui.screens.help import HelpScreen
from audit_tui.tui.widgets.filters import FacetList
from audit_tui.tui.widgets.status import StatusBar

from .helpers import EVENTS, FIXED_NOW, browser, settle

SIZE = (120, 35)  # the size the crash was seen at

# Every key of the app but the ones that leave it (q, ctrl+q, ctrl+c), and the keys of lists,
# inputs and dialogs.
KEYS = [
    *"tTaewfXzsrxncpgGjky",
    "slash",
    "question_mark",
    "left_square_bracket",
    "ctrl+x",
    "ctrl+p",
    "up",
    "down",
    "left",
    "right",
    "pageup",
    "pagedown",
    "home",
    "end",
    "enter",
    "escape",
    "tab",
    "shift+tab",
    "space",
]
CHARACTERS = {
    "slash": "/",
    "question_mark": "?",
    "left_square_bracket": "[",
    "space": " ",
    "enter": "\r",
    "escape": "\x1b",
    "tab": "\t",
}
# Pasted text: markup, actions, escapes, bidi, wide and long text (never a path out of the
# test's folder: no leading "/" or "~", the export dialog writes relative to it).
PASTES = [
    "[/]",
    "[@click=app.quit]quit[/]",
    "[bold red]x",
    "\x1b]52;c;aGk=\x07",
    "\x1b[2J\x1b[H",
    "evil\u202etxt.exe",
    "日本語のテキスト" * 8,
    "🔑⚙" * 20,
    "deploy",
    "x" * 2000,
    "",
]
STARTS = {
    "main": [],
    "panels": ["a"],
    "detail": ["enter"],
    "export": ["s"],
    "custom range": ["T"],
    "help": ["question_mark"],
    "palette": ["ctrl+p"],
}

actions = st.lists(
    st.one_of(
        st.sampled_from(KEYS),
        st.builds(events.Paste, st.one_of(st.sampled_from(PASTES), st.text(max_size=40))),
    ),
    min_size=1,
    max_size=30,
)


class StormApp(AuditApp):
    """The browser without the palette commands that leave it or write outside the test."""

    CSS_PATH = Path(app_module.__file__).parent / "app.tcss"  # (relative: to this file)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in ("Quit", "Screenshot"):
                yield command


def storm_app(folder: Path) -> StormApp:
    def open_store() -> Any:
        from audit_tui.sources.file import open_source

        store = open_source(str(EVENTS))
        store.label = EVENTS.name
        return store

    return StormApp(open_store, now=lambda: FIXED_NOW, native_clipboard=False, export_folder=folder)


def burst(app: AuditApp, keys: Iterable[str | events.Paste]) -> None:
    """Post the keys to the app back to back, as a terminal delivers a burst."""
    for key in keys:
        if isinstance(key, events.Paste):
            event: events.Event = events.Paste(key.text)
        else:
            event = events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None))
        app.post_message(event)


async def calm(pilot: Pilot[Any]) -> None:
    """Let the burst be handled, then close every dialog and wait for the results."""
    app = pilot.app
    for _ in range(20):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.screen is browser(app) and not app.screen.query("SelectOverlay:focus"):
            break
        await pilot.press("escape")
    assert app.screen is browser(app), app.screen_stack
    await pilot.press("escape")  # from the search box or a panel back to the table
    await pilot.pause(browser(app).DEBOUNCE + 0.05)
    await settle(pilot)


def assert_consistent(app: AuditApp) -> None:
    assert app.is_running and app.return_code is None
    assert app.failures == []  # nothing raised in any handler
    screen = browser(app)
    view = screen.view
    status = screen.query_one(StatusBar)
    assert status.view is view and screen.table.view is view
    assert view.complete and view.query == screen.audit_query
    assert screen.store is not None
    expected = screen.store.search(screen.audit_query, FIXED_NOW).total
    assert view.count == expected
    assert status.plain.startswith(f"{expected:,} of ")


async def storm(folder: Path, start: str, keys: list[str | events.Paste]) -> None:
    app = storm_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, STARTS[start] + keys)
        await calm(pilot)
        assert_consistent(app)


def examples(request: pytest.FixtureRequest) -> int:
    return 200 if request.config.getoption("--storm") else 3


@pytest.mark.parametrize("start", list(STARTS))
def test_key_storm(start: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()

    @settings(
        max_examples=examples(request),
        deadline=None,
        database=None,
        derandomize=not request.config.getoption("--storm"),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(keys=actions)
    def run(keys: list[str | events.Paste]) -> None:
        asyncio.run(storm(folder, start, keys))

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # anything an export writes stays in the test's folder
        run()


# -- the sequence that used to kill the app ---------------------------------------------------


@pytest.mark.parametrize("key", ["pageup", "pagedown"])
async def test_palette_then_page_key_in_one_burst(key: str) -> None:
    """Before: ``KeyError: 0`` from the palette's OptionList, and the app exited with 1."""
    app = storm_app(Path("."))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, ["ctrl+p", key])
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app.failures == []
        palette = app.screen
        assert isinstance(palette, SafePalette)
        commands = palette.query_one(CommandList)
        # where the highlight lands depends on whether the list was laid out when the key
        # arrived (a loaded machine lays it out sooner or later): only surviving is the point
        await pilot.press("pageup", "pagedown", "pagedown")  # laid out: Textual's paging
        assert app.is_running and app.failures == []
        assert commands.highlighted not in (None, 0)
        await pilot.press("escape")
        assert not isinstance(app.screen, CommandPalette)


async def test_the_starts_open_what_they_say() -> None:
    opened = {
        "detail": DetailScreen,
        "export": ExportScreen,
        "custom range": CustomRangeScreen,
        "help": HelpScreen,
        "palette": SafePalette,
    }
    app = storm_app(Path("."))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for start, keys in STARTS.items():
            await pilot.press(*keys)
            await pilot.pause()
            if start in opened:
                assert isinstance(app.screen, opened[start]), start
            elif start == "panels":
                assert isinstance(app.focused, FacetList)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is browser(app)
