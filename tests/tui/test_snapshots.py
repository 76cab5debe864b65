"""Snapshot tests of the browser (pytest-textual-snapshot): fixture data, a fixed "now", and
every worker finished before the picture is taken. Update with ``--snapshot-update`` after
looking at the report."""

from __future__ import annotations

from typing import Any

import pytest
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


# -- issue 12: the main screen, a panel open, the detail view and the export dialog, at three
# sizes (80x24 shows the panel as an overlay and no timeline; 120x40 and 200x50 show both).
SIZES = {"80x24": (80, 24), "120x40": (120, 40), "200x50": (200, 50)}


@pytest.mark.parametrize("size", list(SIZES))
def test_sized_main_screen(snap_compare: Any, size: str) -> None:
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=settle)


@pytest.mark.parametrize("size", list(SIZES))
def test_sized_panel_open(snap_compare: Any, size: str) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("a", "j", "space")
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", list(SIZES))
def test_sized_detail(snap_compare: Any, size: str) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("j", "enter")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", list(SIZES))
def test_sized_export_dialog(snap_compare: Any, tmp_path: Any, monkeypatch: Any, size: str) -> None:
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)
