"""The column chooser (``c``): show, hide and reorder the table's columns, and add columns from
the data (actor type, source IP, outcome, event id, or any path of the record)."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, SelectionList
from textual.widgets.selection_list import Selection

from audit_tui import searchlang
from audit_tui.safe import clean
from audit_tui.tui.failures import Guarded
from audit_tui.tui.tablelayout import COLUMNS, EXTRA_COLUMNS, column_of


def known_columns(shown: tuple[str, ...]) -> list[str]:
    """Every column to offer: those shown (in their order), then the others."""
    every = [c.key for c in COLUMNS] + [k for k, _ in EXTRA_COLUMNS]
    return list(shown) + [k for k in every if k not in shown]


class ColumnsScreen(Guarded, ModalScreen[tuple[str, ...] | None]):
    """Dismiss with the columns to show, in order (None: cancelled)."""

    BINDINGS = [
        Binding("enter", "apply", "Apply", id="columns.apply", priority=True),
        Binding("shift+up,K", "move(-1)", "Move up", key_display="K", id="columns.up"),
        Binding("shift+down,J", "move(1)", "Move down", key_display="J", id="columns.down"),
        Binding("a", "add", "Add a path", id="columns.add"),
        Binding("escape", "cancel", "Cancel", id="columns.cancel"),
    ]

    def __init__(self, shown: tuple[str, ...]) -> None:
        super().__init__()
        self.order = known_columns(shown)
        self.checked = set(shown)

    def compose(self) -> ComposeResult:
        with Vertical(id="columns-dialog") as dialog:
            dialog.border_title = "Columns"
            yield Label(
                "space shows or hides · J / K (shift+↓ / ↑) move · a adds a column from a "
                "path of the record · enter applies",
                markup=False,
            )
            yield SelectionList[str](*self._selections(), id="columns-list")
            yield Input(placeholder="a path, e.g. metadata.ip or user.username", id="columns-path")
        yield Footer()

    def _selections(self) -> list[Selection[str]]:
        return [
            Selection(Text(clean(column_of(k).title, 60)), k, k in self.checked) for k in self.order
        ]

    def on_mount(self) -> None:
        self.query_one("#columns-path").display = False
        self.query_one(SelectionList).focus()

    @property
    def options(self) -> SelectionList[str]:
        return self.query_one("#columns-list", SelectionList)

    @on(SelectionList.SelectedChanged)
    def _changed(self) -> None:
        self.checked = set(self.options.selected)

    def _rebuild(self, highlight: int) -> None:
        options = self.options
        options.clear_options()
        options.add_options(self._selections())
        options.highlighted = highlight

    def action_move(self, delta: int) -> None:
        index = self.options.highlighted
        if index is None:
            return
        target = index + delta
        if not 0 <= target < len(self.order):
            return
        self.order[index], self.order[target] = self.order[target], self.order[index]
        self._rebuild(target)

    def action_add(self) -> None:
        box = self.query_one("#columns-path", Input)
        box.display = True
        box.focus()

    def _add_path(self, box: Input) -> None:
        path = box.value.strip()
        keys = tuple(path.split("."))
        if not path or any(not k for k in keys) or searchlang.path_name(keys) is None:
            self.notify(
                "A path is keys joined by dots: metadata.ip, user.username.",
                severity="warning",
                markup=False,
            )
            return
        key = f"path:{path}"
        if key not in self.order:
            self.order.append(key)
        self.checked.add(key)
        box.value = ""
        box.display = False
        self._rebuild(self.order.index(key))
        self.options.focus()

    def action_apply(self) -> None:
        box = self.query_one("#columns-path", Input)
        if box.has_focus:  # enter in the path box adds the path
            self._add_path(box)
            return
        shown = tuple(k for k in self.order if k in self.checked)
        if not shown:
            self.notify("Keep at least one column.", severity="warning", markup=False)
            return
        self.dismiss(shown)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_click(self, event: events.Click) -> None:
        if event.widget is self:
            self.dismiss(None)
