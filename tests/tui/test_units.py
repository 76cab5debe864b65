"""The browser's pure parts: column layout, cell fitting, markers, prompts, status text, the
detail JSON, range checks and key names."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from rich.cells import cell_len
from textual.binding import Binding

from audit_tui.model import Row
from audit_tui.query import Query
from audit_tui.safe import is_clean
from audit_tui.store import FacetValue
from audit_tui.tui.format import actor_text, fit, format_time, resource_text
from audit_tui.tui.screens.custom_range import check
from audit_tui.tui.screens.detail import pretty
from audit_tui.tui.screens.help import key_names
from audit_tui.tui.state import LoadState, View
from audit_tui.tui.widgets.event_table import COLUMNS, layout
from audit_tui.tui.widgets.filters import narrowed, prompt
from audit_tui.tui.widgets.status import source_text, status_text

from .helpers import FIXED_NOW


def row(**fields: object) -> Row:
    base = dict(
        audited_at=1_795_000_000_000,
        event_type="Agent Deployed",
        resource_type="agent",
        resource_id="agt_1",
        resource_name="ticket-bot",
        organization="Acme",
        workspace="Production",
        workspace_id="ws_1",
        actor_type="user",
        actor_id="usr_1",
        actor_name="Olga",
        actor_email="olga@acme.com",
        id="evt_1",
        metadata=None,
    )
    base.update(fields)
    return Row(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [30, 60, 79, 80, 99, 100, 140, 160, 240])
def test_layout_fills_the_width_exactly(width: int) -> None:
    plan = layout(width)
    widths = [w for _, w in plan.columns]
    assert 1 + plan.time + plan.gap * len(plan.columns) + sum(widths) == width or width < 60
    assert all(w >= 1 for w in widths)
    assert len(plan.columns) == len(COLUMNS) or width < 120


def test_fit_cuts_with_an_ellipsis_and_counts_wide_characters() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 4) == "abc…"
    wide = fit("名前名前名前", 7)
    assert cell_len(wide) == 7 and wide.endswith("…")


def test_markers_for_machine_actors() -> None:
    assert actor_text(row(actor_type="system", actor_name="scheduler", actor_email="")).plain == (
        "⚙ scheduler"
    )
    assert actor_text(row(actor_type="api_key", actor_name="terraform", actor_email="")).plain == (
        "🔑 terraform"
    )
    assert actor_text(row()).plain == "Olga olga@acme.com"
    assert resource_text(row()).plain == "ticket-bot agent"


def test_cells_are_clean_text_never_markup() -> None:
    text = actor_text(row(actor_name="[bold]x[/]\x1b[31m", actor_email="e@[x].com"))
    assert text.plain == "[bold]x[/]\\e[31m e@[x].com"
    assert is_clean(text.plain)


def test_format_time_utc() -> None:
    assert format_time(0) == "1970-01-01 00:00:00"


def test_prompt_right_aligns_the_count_and_escapes() -> None:
    value = FacetValue("usr_1", "[/]\x1b]0;x\x07 name", 1234, "system")
    text = prompt(value, 30)
    assert text.cell_len == 30
    assert text.plain.endswith(" 1,234")
    assert text.plain.startswith("⚙ [/]\\e]0;x\\x07")
    twin = prompt(FacetValue("ws_9", "Staging", 5), 30, with_value=True)
    assert "ws_9" in twin.plain and twin.cell_len == 30


def test_narrowing_matches_label_or_value_in_any_case() -> None:
    values = [FacetValue("key_tf", "terraform", 3), FacetValue("usr_1", "Olga", 2)]
    assert narrowed(values, "TERRA") == values[:1]
    assert narrowed(values, "usr_") == values[1:]
    assert narrowed(values, "") == values


def test_status_texts() -> None:
    view = View(None, Query(text="deploy", period="7d"))
    loading = LoadState(total=3000)
    assert status_text(view, loading).plain.startswith("0 of 3,000 events")
    assert '"deploy" · 7d' in status_text(view, loading).plain
    assert source_text(LoadState(label="f.jsonl", loading=True, progress=0.45)).plain == (
        "f.jsonl · loading 45%"
    )
    done = LoadState(label="f.jsonl", loading=False, skipped=3)
    assert source_text(done).plain == "f.jsonl · skipped 3 invalid records"
    evil = LoadState(label="\x1b]0;x\x07" + "d/" * 40 + "name.jsonl", loading=False)
    shown = source_text(evil).plain
    assert is_clean(shown) and shown.endswith("name.jsonl") and shown.startswith("…")


def test_pretty_json_is_indented_and_safe() -> None:
    raw = orjson.dumps({"a": "\x1b[31m\u202e", "b": [1, 2]})
    text = pretty(raw)
    assert text.splitlines()[1] == '  "a": "\\u001b[31m\\u202e",'
    assert all(is_clean(line) for line in text.splitlines())
    assert pretty(b"not json \x1b") == "not json \\e"


def test_custom_range_check() -> None:
    assert check("3d", "", FIXED_NOW) == (None, None)
    assert check("2026-11-01", "2026-11-10", FIXED_NOW) == (None, None)
    since, until = check("nonsense", "", FIXED_NOW)
    assert since and "cannot read the time" in since and until is None
    since, until = check("2026-11-10", "2026-11-01", FIXED_NOW)
    assert since is None and until and "ends before it starts" in until
    assert check("", "", FIXED_NOW)[0]


def test_key_names() -> None:
    assert key_names(Binding("down,j", "x")) == "down / j"
    assert key_names(Binding("f,left_square_bracket", "x", key_display="f")) == "f / ["
    assert key_names(Binding("escape,q", "x"), first="esc") == "esc / q"


def test_remote_status_texts() -> None:
    from audit_tui.tui.state import RemoteView

    raws = [b"{}"] * 100
    assert RemoteView().count_text().plain == "connecting…"
    known = RemoteView(raws=raws, loaded=100, total=1204, more=True, started=True)
    assert known.count_text().plain == "1,204 events (100 loaded)"
    unknown = RemoteView(raws=raws, loaded=100, more=True, started=True)
    assert unknown.count_text().plain == "100 loaded, more available"
    failed = RemoteView(started=True, more=True, error="the server failed (500: x [y])")
    assert failed.count_text().plain == "no events loaded"
    assert "Could not load events: the server failed (500: x [y])" in failed.empty_message()
    assert known.export_count()[0] == "1,204 events"
    assert unknown.export_count()[0] == "every matching event (100 loaded so far)"
    same = RemoteView(raws=raws, fresh_raws=known.fresh_raws)  # the same pages and arrivals
    assert known.same_list(same) and not known.same_list(RemoteView(raws=raws))


def test_export_messages_and_paths(tmp_path: Any) -> None:
    from pathlib import Path

    from audit_tui.export import ExportResult, size_text
    from audit_tui.export_job import Exported, shown_path

    assert shown_path(Path("audit-export-1.csv")) == "./audit-export-1.csv"
    assert shown_path(tmp_path / "x.csv") == str(tmp_path / "x.csv")
    assert shown_path(Path("evil\x1b]0;x\x07.csv")) == "./evil\\e]0;x\\x07.csv"
    assert size_text(512) == "512 bytes" and size_text(48_213) == "47.1 KB"
    result = ExportResult(
        Path("v.jsonl"), Path("v.jsonl.manifest.json"), 1204, "ab", None, None, 2048
    )
    message = Exported(result, "Left out 2 events").message()
    assert message == (
        "Exported 1,204 events to ./v.jsonl (2.0 KB); manifest ./v.jsonl.manifest.json. "
        "Left out 2 events"
    )


def test_status_names_a_detected_foreign_format() -> None:
    from audit_tui.tui.state import LoadState
    from audit_tui.tui.widgets.status import source_text

    load = LoadState(label="audit.log", format_name="JSON lines: Kubernetes audit", loading=False)
    assert source_text(load).plain == "audit.log · Kubernetes audit"
    native = LoadState(label="events.jsonl", format_name="JSON lines", loading=False)
    assert source_text(native).plain == "events.jsonl"


def test_every_binding_has_a_unique_id() -> None:
    from audit_tui.tui import keys

    lists = [keys.APP, keys.BROWSER, keys.TABLE, keys.FACET, keys.DETAIL, keys.RANGE]
    lists += [keys.EXPORT, keys.CONFIRM, keys.AUTH, keys.HELP]
    ids = [b.id for items in lists for b in items if isinstance(b, Binding)]
    assert len(ids) == sum(len(items) for items in lists)  # no tuple shorthand
    assert all(ids) and len(set(ids)) == len(ids)


async def test_a_keymap_rebinds_a_key_by_its_id() -> None:
    from textual.widgets import Input

    from .helpers import browser, make_app, settle

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        app.set_keymap({"browser.search": "ctrl+f"})
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert browser(app).focused is browser(app).query_one("#search", Input)


def test_the_app_is_what_screens_ask_for() -> None:
    from audit_tui.tui.services import BrowserApp

    from .helpers import make_app

    assert isinstance(make_app(), BrowserApp)


def test_a_terminal_that_went_away_is_noticed() -> None:
    """tmux killed or the SSH connection gone: poll says the terminal hung up (the browser
    then quits instead of reading end-of-file forever at full speed)."""
    import os
    import pty

    from audit_tui.tui.app import terminal_hung_up

    master, slave = pty.openpty()
    try:
        assert not terminal_hung_up(slave)
        os.close(master)
        assert terminal_hung_up(slave)
    finally:
        os.close(slave)
