"""The column chooser (issue 12): c shows, hides, reorders and adds columns (from the data or
any path), the table draws them, and they are saved with a view and on its command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.widgets import Input, SelectionList

from audit_tui.commands.browse import columns_of
from audit_tui.commands.common import UsageError
from audit_tui.tui.screens.columns import ColumnsScreen
from audit_tui.tui.widgets.event_table import DEFAULT_COLUMNS, cell_text, layout
from audit_tui.views import View, command_line, load_views, save_view

from .helpers import browser, make_app, settle
from .test_browser import SIZE, table

K8S = Path(__file__).parents[1] / "data" / "formats" / "k8s-audit" / "audit2rbac__demo.log"


def _header(app: Any) -> str:
    return "".join(s.text for s in table(app)._header(SIZE[0]))


def _line(app: Any, index: int) -> str:
    return "".join(s.text for s in table(app)._line(index, SIZE[0], False))


async def test_hide_move_and_add_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_TUI_CONFIG_DIR", str(tmp_path))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert browser(app).columns == DEFAULT_COLUMNS
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ColumnsScreen)
        options = screen.query_one(SelectionList)
        assert options.highlighted == 0
        await pilot.press("down", "down", "space")  # Organization: hidden
        await pilot.press("down", "down", "K")  # Actor: one up, before Workspace
        await pilot.press("a")
        box = screen.query_one("#columns-path", Input)
        assert box.has_focus
        box.value = "metadata.ip"
        await pilot.press("enter")  # adds the path (the dialog stays)
        assert app.screen is screen
        await pilot.press("enter")
        await settle(pilot)
        columns = browser(app).columns
        assert columns == ("event_type", "resource", "actor", "workspace", "path:metadata.ip")
        header = _header(app)
        assert "Organization" not in header and "metadata.ip" in header
        assert header.index("Actor") < header.index("Workspace")
        first = orjson.loads(table(app).view.raw(0))
        assert first["metadata"]["ip"] in _line(app, 0)
        # saved with the view, and on its command line
        view = browser(app).current_view("cols")
        assert view.columns == columns
        save_view(view)
        assert load_views()["cols"].columns == columns
        assert "--columns=event_type,resource,actor,workspace,path:metadata.ip" in command_line(
            view
        )


async def test_escape_leaves_the_columns_as_they_were() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c", "space", "escape")
        await settle(pilot)
        assert browser(app).columns == DEFAULT_COLUMNS


async def test_named_extra_columns_read_each_format(tmp_path: Path) -> None:
    """Source IP and Outcome on a real Kubernetes log (sourceIPs, responseStatus.code)."""
    app = make_app(K8S)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        browser(app).columns = ("event_type", "actor", "source_ip", "outcome")
        await settle(pilot)
        record = orjson.loads(table(app).view.raw(0))
        line = _line(app, 0)
        assert record["sourceIPs"][0] in line
        assert str(record["responseStatus"]["code"]) in line


def test_columns_flag_and_layout() -> None:
    assert columns_of("actor,path:user.username") == ("actor", "path:user.username")
    assert columns_of(None) is None
    with pytest.raises(UsageError, match="unknown column nope"):
        columns_of("actor,nope")
    plan = layout(120, keys=("event_type", "source_ip", "actor"))
    assert [c.key for c, _ in plan.columns] == ["event_type", "source_ip", "actor"]
    assert sorted(
        str(cell_text("path:a.b", None, {"a": [{"b": "x"}, {"b": "y"}]})).split(", ")
    ) == ["x", "y"]  # type: ignore[arg-type]
    assert View("v", columns=("actor",)).columns == ("actor",)
