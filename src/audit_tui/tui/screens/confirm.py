"""A small yes/no question (replace an existing file?); the safe answer has the focus."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from audit_tui.safe import clean
from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded


class ConfirmScreen(Guarded, ModalScreen[bool]):
    """Ask ``question``; dismiss with True for ``yes`` (key y), False for ``no`` (n, esc)."""

    BINDINGS = keys.CONFIRM

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog") as dialog:
            dialog.border_title = "Confirm"
            yield Static(Text(clean(self.question, 600)), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="confirm-yes")
                yield Button(f"{self.no} (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_click(self, event: events.Click) -> None:
        if event.widget is self:  # a click outside the dialog: the safe answer
            self.dismiss(False)
