"""Saved views, the command line that reopens a view, and --now (issue 13): ctrl+s saves, v
lists and opens, --view NAME at launch, L copies a shell-quoted command that the CLI parses back
into the same view, and a pinned clock makes the sample and exports reproducible."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import Input, OptionList

from audit_tui import searchlang
from audit_tui.commands.browse import apply_view, browse_parser
from audit_tui.commands.common import UsageError, build_query
from audit_tui.query import Query
from audit_tui.tui.screens.views import SaveViewScreen, ViewsScreen
from audit_tui.views import (
    View,
    ViewError,
    command_args,
    command_line,
    load_views,
    parse_sort,
    save_view,
    views_path,
)

from .helpers import EVENTS, browser, make_app, settle
from .test_browser import SIZE, expected, table


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("AUDIT_TUI_CONFIG_DIR", str(folder))
    return folder


HOSTILE = ["-rf", "a b", "it's", 'say "hi"', "$(rm -rf ~)", "`x`", "[/]", "a\\b", "é ünï", ";|&"]


def _parse_back(command: str) -> Any:
    args = shlex.split(command)
    assert args[0] == "audit-tui"
    return browse_parser().parse_args(args[1:])


@given(
    # any text, as the search language quotes it (the box holds only valid queries)
    st.text(min_size=1).filter(lambda t: t.strip()).map(searchlang.quote),
    st.lists(st.sampled_from(HOSTILE), max_size=3),
    st.sampled_from(["all", "7d", "24h", "custom"]),
    st.sampled_from([None, ("actor", True), ("event_type", False), ("audited_at", True)]),
    st.booleans(),
)
def test_the_command_line_round_trips_any_value(
    text: str, actors: list[str], period: str, sort: Any, utc: bool
) -> None:
    since, until = ("2026-11-01", "yesterday") if period == "custom" else (None, None)
    view = View(
        "x",
        source="-logs/my events.jsonl",
        text=text,
        period=period,
        since=since,
        until=until,
        actors=tuple(sorted(set(actors))),
        workspaces=("Finance Ops",),
        sort=sort,
        utc=utc,
    )
    parsed = _parse_back(command_line(view))
    assert parsed.source == "./-logs/my events.jsonl"
    assert build_query(parsed) == view.query()
    assert (parse_sort(parsed.sort) if parsed.sort else None) == view.sort
    assert parsed.local_time is not utc


def test_a_url_source_is_saved_without_credentials(config_dir: Path) -> None:
    view = View.of(
        "remote", "https://ada:s3cret@api.example.com/v2/audit-logs?token=abc", Query(text="x")
    )
    save_view(view)
    text = views_path().read_text()
    assert "s3cret" not in text and "abc" not in text and "ada" not in text
    assert load_views()["remote"].source == "https://api.example.com/v2/audit-logs"
    assert "s3cret" not in command_line(view)


def test_the_file_is_toml_a_person_can_edit(config_dir: Path) -> None:
    save_view(
        View(
            "incident 42",
            source="/var/log/a.log",
            text='type:"key" -actor:x',
            period="7d",
            actors=("usr_1",),
            sort=("actor", True),
            utc=False,
        )
    )
    text = views_path().read_text()
    assert '[views."incident 42"]' in text
    assert 'search = "type:\\"key\\" -actor:x"' in text and 'sort = "actor:desc"' in text
    views_path().write_text(text.replace('period = "7d"', 'period = "30d"'))
    view = load_views()["incident 42"]
    assert view.period == "30d" and view.sort == ("actor", True) and not view.utc
    views_path().write_text(text + "\n[views.broken\n")
    with pytest.raises(ViewError, match=r"views.toml: not valid TOML: .*line"):
        load_views()
    views_path().write_text('[views.x]\nperiod = "5d"\n')
    with pytest.raises(ViewError, match='view "x": period'):
        load_views()


def test_view_at_launch_and_the_command_line_wins(config_dir: Path) -> None:
    save_view(View("v1", source=str(EVENTS), text="globex", period="30d", sort=("actor", False)))
    argv = ["--view", "v1"]
    args = browse_parser().parse_args(argv)
    apply_view(args, argv)
    assert args.source == str(EVENTS) and args.search == "globex" and args.period == "30d"
    assert args.sort == "actor:asc"
    argv = ["--view", "v1", "--search", "acme"]
    args = browse_parser().parse_args(argv)
    apply_view(args, argv)
    assert args.search == "acme" and args.period == "30d"
    args = browse_parser().parse_args(["--view", "nope"])
    with pytest.raises(UsageError, match="no saved view named 'nope'; the views: v1"):
        apply_view(args, ["--view", "nope"])


async def test_save_list_and_open_a_view_in_the_browser(config_dir: Path) -> None:
    app = make_app(source=str(EVENTS))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        browser(app).add_search_term("globex")
        await settle(pilot)
        await pilot.press("greater_than_sign", "z")  # sort by event type, local time
        await settle(pilot)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SaveViewScreen)
        app.screen.query_one(Input).value = "globex by type"
        await pilot.press("enter")
        await settle(pilot)
        saved = load_views()["globex by type"]
        assert saved.text == "globex" and saved.sort == ("event_type", False) and not saved.utc
        assert saved.source == str(EVENTS.resolve())
        await pilot.press("X", "less_than_sign", "z")
        await settle(pilot)
        assert browser(app).audit_query == Query() and browser(app).sort is None
        await pilot.press("v")
        assert isinstance(app.screen, ViewsScreen)
        assert app.screen.query_one(OptionList).option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert browser(app).audit_query.text == "globex"
        assert browser(app).sort == ("event_type", False) and browser(app).utc is False
        assert table(app).view.count == expected(Query(text="globex"))
        # L: the command line that reopens it, on the clipboard
        await pilot.press("L")
        parsed = _parse_back(app.clipboard)
        assert build_query(parsed) == Query(text="globex")
        assert parsed.sort == "event_type:asc" and parsed.local_time
        assert parsed.source == str(EVENTS.resolve())


def test_now_pins_the_sample_and_relative_periods(tmp_path: Path) -> None:
    def run(*args: str) -> bytes:
        done = subprocess.run(
            [sys.executable, "-m", "audit_tui", "query", "--demo", *args],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    one = run("--now", "2026-11-20T12:00:00Z", "--period", "7d", "--format", "jsonl")
    two = run("--now", "2026-11-20T12:00:00Z", "--period", "7d", "--format", "jsonl")
    assert one == two and one.count(b"\n") > 100
    other = run("--now", "2026-11-25T12:00:00Z", "--period", "7d", "--format", "jsonl")
    assert other != one
    assert command_args(View("x", period="7d"))[1:] == ["--demo", "--period=7d"]
