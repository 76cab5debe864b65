"""The saved-view dialogs: ``ctrl+s`` asks a name and saves the view, ``v`` lists the saved views
(``enter`` opens one, ``delete`` removes it). See :mod:`audit_tui.views`."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from audit_tui.safe import clean
from audit_tui.tui.failures import Guarded
from audit_tui.views import View, command_line


class SaveViewScreen(Guarded, ModalScreen[str | None]):
    """Ask the name to save the current view under; dismiss with it (None: cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="save_view.cancel")]

    def __init__(self, suggestion: str = "") -> None:
        super().__init__()
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(id="view-dialog") as dialog:
            dialog.border_title = "Save this view"
            yield Label(
                "The source, the search, the period, the filters, the sort and the time zone, "
                "under a name (v lists them; audit-tui --view NAME opens one).",
                markup=False,
            )
            yield Input(self.suggestion, placeholder="a name, e.g. incident 42", id="view-name")
        yield Footer()

    @on(Input.Submitted, "#view-name")
    def _done(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name:
            self.notify("Give the view a name.", severity="warning", markup=False)
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_click(self, event: events.Click) -> None:
        if event.widget is self:
            self.dismiss(None)


class ViewsScreen(Guarded, ModalScreen[View | None]):
    """The saved views; dismiss with the one to open (None: closed)."""

    BINDINGS = [
        Binding("enter", "open", "Open", id="views.open", priority=True),
        Binding("delete,x", "delete", "Delete", id="views.delete"),
        Binding("j", "move(1)", "Down", show=False, id="views.down"),
        Binding("k", "move(-1)", "Up", show=False, id="views.up"),
        Binding("escape", "cancel", "Close", id="views.close"),
    ]

    def __init__(self, views: dict[str, View], on_delete: object = None) -> None:
        super().__init__()
        self.views = dict(views)
        self.on_delete = on_delete

    def compose(self) -> ComposeResult:
        with Vertical(id="view-dialog") as dialog:
            dialog.border_title = "Saved views"
            if not self.views:
                yield Label("No saved view yet: ctrl+s saves the current one.", markup=False)
            yield OptionList(*self._options(), id="view-list")
        yield Footer()

    def _options(self) -> list[Option]:
        out = []
        for name, view in self.views.items():
            text = Text(clean(name, 60), "bold")
            text.append("\n  " + clean(command_line(view), 200), "dim")
            out.append(Option(text, id=name))
        return out

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _current(self) -> View | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None:
            return None
        option_id = options.get_option_at_index(index).id
        return self.views.get(option_id or "")

    def action_open(self) -> None:
        view = self._current()
        if view is not None:
            self.dismiss(view)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open()

    def action_delete(self) -> None:
        view = self._current()
        if view is None:
            return
        if callable(self.on_delete):
            self.on_delete(view.name)
        del self.views[view.name]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options())
        self.notify(f"Deleted the view {clean(view.name, 60)}.", markup=False)

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if delta > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
