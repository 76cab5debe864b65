"""The export dialog (s): exactly the events of the view to a file with its manifest, the
format and default name, the overwrite question, cancel, and errors shown in the dialog."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.pilot import Pilot
from textual.widgets import Input

import audit_tui.export as export_mod
from audit_tui.query import Query
from audit_tui.sources.file import open_source
from audit_tui.tui.screens.confirm import ConfirmScreen
from audit_tui.tui.screens.export import ExportScreen

from .helpers import EVENTS, FIXED_NOW, browser, make_app, settle, type_text

SIZE = (150, 45)
STAMP = "20261120-120000"  # FIXED_NOW in the default file name


def view_lines(query: Query) -> list[bytes]:
    """The original records of ``query``'s view, newest first (the oracle)."""
    store = open_source(str(EVENTS))
    try:
        store.wait(10)
        positions = store.search(query, FIXED_NOW).positions
        return [store.raw(int(p)).rstrip(b"\r\n") for p in positions]
    finally:
        store.close()


def messages(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


async def open_dialog(pilot: Pilot[Any]) -> ExportScreen:
    await pilot.press("s")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ExportScreen)
    return screen


async def pick_jsonl(pilot: Pilot[Any]) -> None:
    """Format: CSV, JSON, JSON lines: move to the third and tick it."""
    await pilot.press("right", "right", "space")
    await pilot.pause()


async def finish(pilot: Pilot[Any]) -> None:
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not isinstance(pilot.app.screen, ExportScreen | ConfirmScreen):
            return
        if not any(w.is_running for w in pilot.app.workers):
            return
    raise AssertionError("the export did not finish")


async def test_export_jsonl_of_a_filtered_view(tmp_path: Path) -> None:
    app = make_app(export_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e", "space")  # the first event type
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "acme")
        await pilot.press("escape")
        query = browser(app).audit_query
        expected = view_lines(query)
        assert 0 < len(expected) < 240
        assert browser(app).view.count == len(expected)

        screen = await open_dialog(pilot)
        shown = str(screen.query_one("#export-what").render())
        assert f"{len(expected)} events of the current view" in shown
        assert '"acme"' in shown
        path_input = screen.query_one("#export-path", Input)
        assert path_input.value == str(tmp_path / f"audit-export-{STAMP}.csv")
        await pick_jsonl(pilot)
        target = tmp_path / f"audit-export-{STAMP}.jsonl"
        assert path_input.value == str(target)  # the extension follows the format
        await pilot.press("tab", "enter")  # to the path, then export
        await finish(pilot)

        assert not isinstance(app.screen, ExportScreen)
        assert target.read_bytes() == b"".join(line + b"\n" for line in expected)
        manifest = orjson.loads((tmp_path / f"{target.name}.manifest.json").read_bytes())
        assert manifest["count"] == len(expected)
        assert manifest["format"] == "jsonl"
        assert manifest["query"]["text"] == "acme"
        assert manifest["query"]["event_types"] == sorted(query.event_types)
        assert manifest["file"]["name"] == target.name
        assert sorted(p.name for p in tmp_path.iterdir() if p.name != "state") == [
            target.name,
            f"{target.name}.manifest.json",
        ]
        done = [m for m in messages(app) if m.startswith("Exported")]
        assert done and f"Exported {len(expected)} events to {target}" in done[-1]


async def test_format_and_name_until_the_name_is_edited(tmp_path: Path) -> None:
    app = make_app(export_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_dialog(pilot)
        path_input = screen.query_one("#export-path", Input)
        await pilot.press("right", "space")  # JSON
        assert path_input.value.endswith(f"{STAMP}.json")
        path_input.value = str(tmp_path / "mine.json")
        await pilot.press("right", "space")  # JSON lines: the edited name stays
        assert path_input.value == str(tmp_path / "mine.json")
        note = str(screen.query_one("#export-path-note").render())
        assert "ends like JSON" in note
        await pilot.press("escape")
        assert not isinstance(app.screen, ExportScreen)
        assert list(tmp_path.iterdir()) == []


async def test_an_existing_file_is_replaced_only_when_confirmed(tmp_path: Path) -> None:
    target = tmp_path / "view.jsonl"
    target.write_bytes(b"old contents\n")
    app = make_app(export_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_dialog(pilot)
        await pick_jsonl(pilot)
        await pilot.press("tab")
        screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep it
        await pilot.pause()
        assert app.screen is screen
        assert target.read_bytes() == b"old contents\n"
        assert "Nothing written" in str(screen.query_one("#export-status").render())

        await pilot.press("enter")  # again, and this time replace it
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await finish(pilot)
        assert not isinstance(app.screen, ExportScreen)
        assert target.read_bytes() == b"".join(line + b"\n" for line in view_lines(Query()))
        assert (tmp_path / "view.jsonl.manifest.json").exists()


async def test_cancel_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small steps and a slow progress report: an export of 240 events takes a few seconds
    monkeypatch.setattr(export_mod, "STEP", 4)
    original = ExportScreen._progress

    def slow(self: ExportScreen, what: str, done: int, total: int | None) -> None:
        time.sleep(0.05)
        original(self, what, done, total)

    monkeypatch.setattr(ExportScreen, "_progress", slow)
    app = make_app(export_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_dialog(pilot)
        await pilot.press("tab", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if "Writing" in str(screen.query_one("#export-status").render()):
                break
        assert screen.running
        assert screen.query_one("#export-progress").display
        await pilot.press("escape")
        await finish(pilot)
        assert not isinstance(app.screen, ExportScreen)
        assert list(tmp_path.iterdir()) == []  # no file, no manifest, no temporary file
        assert any("Export cancelled: nothing written" in m for m in messages(app))


async def test_an_export_error_is_shown_in_the_dialog(tmp_path: Path) -> None:
    app = make_app(export_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_dialog(pilot)
        await pilot.press("tab")
        screen.query_one("#export-path", Input).value = str(tmp_path / "nope" / "x.csv")
        await pilot.press("enter")
        await finish(pilot)
        assert app.screen is screen  # still open: the path can be fixed
        status = screen.query_one("#export-status")
        assert status.has_class("-error")
        assert "no such folder; nothing written" in str(status.render())
        assert app.focused is screen.query_one("#export-path")
        assert list(tmp_path.iterdir()) == []


async def test_export_is_in_the_footer_help_and_palette() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert any(t.startswith("Export") for t in titles)
        footer = app.export_screenshot()
        assert "Export" in footer


async def test_the_html_report_beside_the_exports(tmp_path: Path) -> None:
    app = make_app(export_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e", "space")  # the first event type
        await settle(pilot)
        expected = view_lines(browser(app).audit_query)
        screen = await open_dialog(pilot)
        path_input = screen.query_one("#export-path", Input)
        await pilot.press("right", "right", "right", "space")  # HTML report
        await pilot.pause()
        target = tmp_path / f"audit-report-{STAMP}.html"
        assert path_input.value == str(target)
        assert "no manifest" in str(screen.query_one("#export-path-note").render())
        await pilot.press("enter")
        await finish(pilot)
        assert not isinstance(app.screen, ExportScreen)
        html = target.read_text("utf-8")
        assert f"Every event ({len(expected):,})" in html
        assert html.count('<div class="json" id="e') == len(expected)
        assert sorted(p.name for p in tmp_path.iterdir() if p.name != "state") == [
            target.name
        ]  # nothing else
        done = [m for m in messages(app) if m.startswith("Wrote an audit report")]
        assert done and f"of {len(expected)} events to {target}" in done[-1]
