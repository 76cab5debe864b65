"""The screen shown when the audit API refuses the token (401/403): what the server said, and
how to give audit-tui a token. The token itself is never shown (nor is it in the message)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from audit_tui.remote.settings import TOKEN_ENV
from audit_tui.safe import clean
from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded

WAYS = (
    (f"export {TOKEN_ENV}=…", "in the shell that starts audit-tui"),
    ("--token-file PATH", "a file that holds only the token"),
    ("--profile NAME", "a profile of the config file, with token_env or token_file"),
)


def advice(message: str, origin: str, has_token: bool) -> Text:
    """The body of the screen: the server's answer, where the token came from, the way out."""
    text = Text()
    text.append(clean(message, 400) + "\n\n", "bold")
    if has_token:
        text.append(f"The token came from {clean(origin, 80) or 'the settings'}. ")
        text.append("It may have expired, or lack access to this audit log.\n\n")
    else:
        text.append("No token was sent.\n\n")
    text.append("Give audit-tui a token (it is never taken on the command line itself):\n")
    for way, meaning in WAYS:
        text.append(f"  {way:<28}", "bold")
        text.append(f"{meaning}\n", "dim")
    text.append("\nthen start audit-tui again.  ")
    text.append("q", "bold")
    text.append(" quits · ")
    text.append("r", "bold")
    text.append(" asks the server again")
    return text


class AuthErrorScreen(Guarded, Screen[bool]):
    """Dismisses with True when the user asks to try again; ``q`` leaves the app (exit 1)."""

    BINDINGS = keys.AUTH

    def __init__(self, message: str, origin: str, has_token: bool) -> None:
        super().__init__()
        self.message = message
        self.origin = origin
        self.has_token = has_token

    def compose(self) -> ComposeResult:
        with Vertical(id="auth-dialog") as dialog:
            dialog.border_title = "The audit API refused access"
            yield Static(advice(self.message, self.origin, self.has_token), id="auth-body")
        yield Footer()

    def action_leave(self) -> None:
        self.app.exit(return_code=1)

    def action_retry(self) -> None:
        self.dismiss(True)
