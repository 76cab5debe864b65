"""Snapshot tests of the browser (pytest-textual-snapshot): fixture data, a fixed "now", and
every worker finished before the picture is taken. Update with ``--snapshot-update`` after
looking at the report."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from audit_tui.query import Query

from .helpers import HOSTILE, make_app, settle, type_text

WIDE = (140, 40)


def test_main_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=settle)


def test_filtered_view(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("e", "space", "down", "down", "space")
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "acme")
        await pilot.press("escape")
        await settle(pilot)

    app = make_app(query=Query(period="90d"))
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_detail_modal(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "enter")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_custom_range_dialog(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("T")
        await pilot.pause()
        pilot.app.screen.query_one("#range-since", Input).value = "14d"
        pilot.app.screen.query_one("#range-until", Input).value = "yesterdy"
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would make the picture flaky
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_help_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_small_terminal(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settle)


def test_hostile_values(snap_compare: Any) -> None:
    assert snap_compare(make_app(HOSTILE), terminal_size=WIDE, run_before=settle)


def test_hostile_detail(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "j", "enter")
        await pilot.pause()

    assert snap_compare(make_app(HOSTILE), terminal_size=WIDE, run_before=run_before)


def test_export_dialog(snap_compare: Any, tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)  # the default name is ./audit-export-<FIXED_NOW>.csv

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("w", "space")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)
