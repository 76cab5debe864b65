"""Keys of issue 12: j/k in the panels and the detail view, enter in the export dialog,
escape in a panel's narrow box, panels back at their top after X, and the README's key table
listing every key the help screen lists."""

from __future__ import annotations

import re
from pathlib import Path

from textual.containers import VerticalScroll
from textual.widgets import Input

from audit_tui.tui import keys
from audit_tui.tui.screens.detail import DetailScreen
from audit_tui.tui.screens.export import ExportScreen
from audit_tui.tui.screens.help import PRETTY
from audit_tui.tui.widgets.filters import FacetPanel

from .helpers import browser, make_app, settle

README = Path(__file__).parents[2] / "README.md"


async def test_j_and_k_move_in_a_panel() -> None:
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        panel = app.screen.query_one("#facet-actors", FacetPanel)
        assert panel.options.highlighted == 0
        await pilot.press("j", "j")
        assert panel.options.highlighted == 2
        await pilot.press("k")
        assert panel.options.highlighted == 1


async def test_j_and_k_scroll_the_detail_view() -> None:
    app = make_app()
    async with app.run_test(size=(80, 16)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        body = app.screen.query_one("#detail-body", VerticalScroll)
        assert body.max_scroll_y > 2
        await pilot.press("j", "j", "j")
        await pilot.pause()
        assert body.scroll_y == 3
        await pilot.press("k")
        await pilot.pause()
        assert body.scroll_y == 2


async def test_enter_exports_from_the_format_list(tmp_path: Path) -> None:
    app = make_app(export_folder=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("enter")
        for _ in range(100):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not isinstance(app.screen, ExportScreen):
                break
        written = list(tmp_path.glob("audit-export-*.csv"))
        assert len(written) == 1
        assert len(written[0].read_text().splitlines()) == 241  # the header and every event


async def test_escape_in_the_narrow_box_clears_it() -> None:
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a", "n", "j", "o", "n")
        panel = app.screen.query_one("#facet-actors", FacetPanel)
        narrow = panel.query_one(".narrow", Input)
        assert narrow.value == "jon"
        assert panel.options.option_count == 1
        await pilot.press("escape")
        await pilot.pause()
        assert narrow.value == ""
        assert panel.options.option_count > 1
        assert narrow.has_focus
        await pilot.press("escape")  # empty: back to the table
        await pilot.pause()
        assert app.focused is browser(app).table


async def test_clear_all_scrolls_the_panels_to_their_top() -> None:
    app = make_app()
    async with app.run_test(size=(140, 18)) as pilot:
        await settle(pilot)
        await pilot.press("e", *["j"] * 9, "space")
        await settle(pilot)
        panel = app.screen.query_one("#facet-event_types", FacetPanel)
        assert panel.options.scroll_y > 0
        await pilot.press("escape", "X")
        await settle(pilot)
        assert panel.options.scroll_y == 0
        assert panel.options.highlighted is None


def test_readme_lists_every_key_of_the_help_screen() -> None:
    text = README.read_text()
    table = text[text.index("| key | action |") :]
    table = table[: table.index("\n\n")]
    shown = set(re.findall(r"`([^`]+)`", table))
    missing = []
    for _, section in keys.SECTIONS:
        for binding in keys.bindings(section):
            raw = [k.strip() for k in binding.key.split(",")]
            names = {PRETTY.get(k, k) for k in raw} | set(raw)
            if binding.key_display:
                names.add(binding.key_display)
            if not names & shown:
                missing.append(f"{binding.id}: {binding.key}")
    assert not missing, missing


def test_footer_keys_are_in_the_help_screen() -> None:
    listed = {b.id for _, section in keys.SECTIONS for b in keys.bindings(section)}
    for group in (keys.APP, keys.BROWSER, keys.TABLE, keys.FACET, keys.DETAIL, keys.EXPORT):
        for binding in keys.bindings(group):
            if binding.show:
                assert binding.id in listed, binding.id
