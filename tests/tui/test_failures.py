"""Failures nobody planned for: a worker that raises, a handler that raises, an error Textual
cannot survive. Each is logged with its traceback (to the test's state dir, never $HOME), shown
as one sanitised line, and the app keeps its view; when it cannot, the way out says where the
log is and how to open the same view again."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

import audit_tui.export as export_mod
import audit_tui.tui.screens.detail as detail_mod
from audit_tui.commands.browse import browse_parser
from audit_tui.commands.common import build_query
from audit_tui.query import Query
from audit_tui.store import Store
from audit_tui.tui.app import AuditApp
from audit_tui.tui.failures import LOG_NAME, log_path, reopen_command
from audit_tui.tui.screens.browser import BrowserScreen
from audit_tui.tui.screens.export import ExportScreen
from audit_tui.tui.screens.help import HelpScreen
from audit_tui.tui.screens.main import MainScreen
from audit_tui.tui.widgets.status import StatusBar

from .helpers import FIXED_NOW, browser, make_app, settle, type_text

SIZE = (150, 45)

pytestmark = pytest.mark.guarded_failures


def status(app: AuditApp) -> str:
    return browser(app).query_one(StatusBar).plain


def notified(app: AuditApp) -> list[str]:
    return [n.message for n in app._notifications]


def assert_reported(app: AuditApp, where: str, error: str) -> str:
    """One line shown (sanitised, as a notification) and the traceback in the log."""
    assert app.failures, "nothing reported"
    line = app.failures[0]
    assert set(app.failures) == {line}, app.failures  # (a search runs twice: a first page)
    assert line.startswith(f"something went wrong in {where}: {error}")
    assert line.endswith(f"; details in {app.log_path}")
    assert "\n" not in line and "\x1b" not in line
    assert line in notified(app)
    log = app.log_path.read_text()
    assert "Traceback (most recent call last)" in log and error in log
    return line


def test_the_log_lives_in_the_state_dir(state_dir: Path) -> None:
    assert log_path() == state_dir / LOG_NAME
    assert make_app().log_path == state_dir / LOG_NAME


async def test_a_failing_first_open_is_shown_and_logged() -> None:
    def broken() -> Store:
        raise RuntimeError("disk on fire")

    app = AuditApp(broken, now=lambda: FIXED_NOW, native_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        assert_reported(app, "AuditApp._open_first", "RuntimeError: disk on fire")
        assert "loading" not in status(app) and "something went wrong" in status(app)


async def test_a_failing_search_is_shown_logged_and_the_next_one_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = browser(app)
        assert screen.store is not None
        real = type(screen.store).search

        def broken(self: Store, query: Query, now: Any) -> Any:
            raise RuntimeError("index \x1b[31mbroken")

        monkeypatch.setattr(type(screen.store), "search", broken)
        await pilot.press("slash")
        await type_text(pilot, "deploy")
        assert app.is_running
        line = assert_reported(app, "MainScreen._run", "RuntimeError: index \\e[31mbroken")
        assert line.startswith("something went wrong") and "something went wrong" in status(app)

        monkeypatch.setattr(type(screen.store), "search", real)
        await type_text(pilot, "x")
        assert screen.view.complete and screen.view.query.text == "deployx"
        assert status(app).startswith(f"{screen.view.count} of")


async def test_an_unexpected_export_error_keeps_the_dialog_open(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("writer exploded")

    monkeypatch.setattr(export_mod, "export", broken)  # imported by the screen when used
    folder = tmp_path / "exports"
    folder.mkdir()
    app = make_app(export_folder=folder)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.click("#export-start")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen) and not screen.running
        assert "RuntimeError: writer exploded" in str(screen.query_one("#export-status").render())
        assert_reported(app, "ExportScreen._work", "RuntimeError: writer exploded")
        assert list(folder.iterdir()) == []  # nothing written


async def test_a_failing_key_action_keeps_the_view(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: BrowserScreen) -> None:
        raise ValueError("utc toggle [@click=app.quit]")

    monkeypatch.setattr(BrowserScreen, "action_toggle_utc", broken)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = status(app)
        await pilot.press("z")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, MainScreen)
        assert_reported(app, "AuditApp.on_key", "ValueError: utc toggle [@click=app.quit]")
        assert status(app) == before
        await pilot.press("z")  # the same failure again is not reported twice
        await pilot.pause()
        assert len(app.failures) == 1
        await pilot.press("question_mark")  # the keys still work
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_a_failing_message_handler_keeps_the_view(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("detail")

    monkeypatch.setattr(detail_mod, "DetailScreen", broken)  # imported by the screen when used
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, MainScreen)
        assert_reported(app, "MainScreen.on_event_table_opened", "KeyError: 'detail'")
        await pilot.press("down")
        await pilot.pause()
        assert browser(app).table.cursor == 2


async def test_a_failing_timer_callback_keeps_the_view(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: MainScreen, old: Query, new: Query) -> None:
        raise RuntimeError("query_changed broke")

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(MainScreen, "query_changed", broken)
        await pilot.press("slash")
        await type_text(pilot, "deploy")
        assert app.is_running
        assert_reported(app, "MainScreen.search", "RuntimeError: query_changed broke")


async def test_an_error_textual_cannot_survive_says_where_the_log_is_and_how_to_come_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: HelpScreen) -> Any:
        raise RuntimeError("help cannot compose")

    monkeypatch.setattr(HelpScreen, "compose", broken)
    app = make_app(Path(__file__).parent / "data" / "events.jsonl", source="events.jsonl")
    with pytest.raises(RuntimeError, match="help cannot compose"):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("slash")
            await type_text(pilot, "deploy")
            await pilot.press("enter", "question_mark")
            await pilot.pause()
    assert app.exit_note is not None
    first, second = app.exit_note.split("\n")
    assert first == f"audit-tui stopped after an unexpected error; details in {app.log_path}"
    assert second == "open the same view again with: audit-tui events.jsonl --search=deploy"
    assert "RuntimeError: help cannot compose" in app.log_path.read_text()


@pytest.mark.parametrize(
    "query",
    [
        Query(),
        Query(text="-rf [/] ada 'quote'", period="7d"),
        Query(since="2026-11-01", until="yesterday", actors=frozenset({"ada@example.com", "-x"})),
        Query(event_types=frozenset({"Agent Deleted"}), workspaces=frozenset({"Finance Ops"})),
    ],
)
def test_the_reopen_command_gives_the_same_query(query: Query) -> None:
    command = reopen_command("logs/my events.jsonl", query)
    args = shlex.split(command)
    assert args[0] == "audit-tui"
    parsed = browse_parser().parse_args(args[1:])
    assert parsed.source == "logs/my events.jsonl"
    assert build_query(parsed) == query


def test_the_reopen_command_never_shows_credentials() -> None:
    command = reopen_command("https://ada:secret@api.example.com/v1/audit?token=abc", Query())
    assert "secret" not in command and "abc" not in command
