"""The help screen: every key, made from the same binding lists as the footer and palette."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded

PRETTY = {
    "slash": "/",
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "backspace": "⌫",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "escape": "esc",
    "ctrl+x": "^x",
    "ctrl+p": "^p",
}


def key_names(binding: Binding, first: str | None = None) -> str:
    """``j / down`` for a binding of several keys; ``first`` is how the app shows the first."""
    names = [PRETTY.get(k.strip(), k.strip()) for k in binding.key.split(",")]
    if first:
        names[0] = first
    elif binding.key_display:
        names[0] = binding.key_display
    seen: list[str] = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return " / ".join(seen)


def help_table(display: Callable[[Binding], str] | None = None) -> Table:
    """All sections of :data:`keys.SECTIONS` as one table: key, what it does, more words."""
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(style="dim")
    for title, section in keys.SECTIONS:
        table.add_row("", "", "")
        table.add_row("", Text(title, "bold underline"), "")
        for binding in keys.bindings(section):
            first = display(binding) if display is not None else None
            table.add_row(
                Text(key_names(binding, first)), Text(binding.description), Text(binding.tooltip)
            )
    return table


class HelpScreen(Guarded, ModalScreen[None]):
    """The keys of audit-tui; any of esc, q or ? closes it."""

    BINDINGS = keys.HELP

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog") as dialog:
            dialog.border_title = "audit-tui keys"
            with VerticalScroll(id="help-body"):
                yield Static(self._table(), id="help-table")
            yield Static(
                Text(
                    "ctrl+p opens the command palette with the same commands.  esc closes.", "dim"
                ),
                id="help-hint",
            )

    def _table(self) -> Table:
        def first_key(binding: Binding) -> str:
            key = binding.key.split(",")[0].strip()
            if binding.key_display:
                return binding.key_display
            return PRETTY.get(key) or self.app.get_key_display(
                Binding(key, binding.action, binding.description)
            )

        return help_table(first_key)

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def on_click(self, event: events.Click) -> None:
        if event.widget is self:
            self.dismiss(None)
