"""The detail dialog: one event's original record as highlighted JSON, with copy and next/prev.

The record is read from the view once per event shown and kept, so what is shown and what
``c`` copies are the same bytes: the original record, exactly as the source wrote it (for an
audit API: the event's JSON exactly as the server sent it).
"""

from __future__ import annotations

import orjson
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.highlight import highlight
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from audit_tui.safe import clean
from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded
from audit_tui.tui.format import format_time, thousands
from audit_tui.tui.services import app_of
from audit_tui.tui.state import EventList

MAX_SHOWN = 200_000  # characters of pretty JSON shown; copying always takes the whole record


def pretty(raw: bytes) -> str:
    """The record indented, every line made safe; the raw text when it is not valid JSON."""
    try:
        text = orjson.dumps(orjson.loads(raw), option=orjson.OPT_INDENT_2).decode()
    except (orjson.JSONDecodeError, TypeError):
        text = raw.decode("utf-8", "replace")
    if len(text) > MAX_SHOWN:
        text = text[:MAX_SHOWN] + "\n… (cut here: press c to copy the whole record)"
    return "\n".join(clean(line) for line in text.split("\n"))


class DetailScreen(Guarded, ModalScreen[int]):
    """Shows the event at ``index`` of ``view``; dismisses with the index last shown."""

    BINDINGS = keys.DETAIL

    def __init__(self, view: EventList, index: int, utc: bool = True) -> None:
        super().__init__()
        self.view = view
        self.index = index
        self.utc = utc
        self.raw = b""

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-dialog") as dialog:
            dialog.border_title = "Event"
            yield Static(id="detail-title", markup=False)
            with VerticalScroll(id="detail-body"):
                yield Static(id="detail-json", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one("#detail-body").focus()

    def _show(self) -> None:
        try:
            self.raw = self.view.raw(self.index)
        except Exception as error:  # a record that cannot be read says so in the dialog
            self.raw = b""
            self.query_one("#detail-json", Static).update(
                Text(clean(f"This record cannot be read: {error}", 300), "red")
            )
            return
        title = Text()
        try:
            row = self.view.row(self.index)
        except Exception as error:  # not a valid event: its text is still worth seeing
            title.append(clean(f"Not a valid event: {error}", 80), "bold red")
        else:
            title.append(clean(row.event_type, 80), "bold")
            zone = "UTC" if self.utc else "local"
            title.append(f"  {format_time(row.audited_at, self.utc)} {zone}", "dim")
        title.append(f"   event {thousands(self.index + 1)} of {thousands(self.view.count)}")
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#detail-json", Static).update(highlight(pretty(self.raw), language="json"))
        self.query_one("#detail-body", VerticalScroll).scroll_home(animate=False)

    def action_copy(self) -> None:
        if not self.raw:
            self.notify("Nothing to copy.", severity="warning", markup=False)
            return
        text = self.raw.decode("utf-8", "replace")
        app_of(self).copy_text(text)
        self.notify(
            f"Copied the original JSON ({thousands(len(self.raw))} bytes) to the clipboard.",
            title="Copied",
            markup=False,
        )

    def action_step(self, delta: int) -> None:
        index = self.index + delta
        if 0 <= index < self.view.count:
            self.index = index
            self._show()
        else:
            self.app.bell()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#detail-body", VerticalScroll).scroll_relative(
            y=lines, animate=False, immediate=True
        )

    def action_close(self) -> None:
        self.dismiss(self.index)

    def on_click(self, event: events.Click) -> None:
        if event.widget is self:  # a click outside the dialog
            self.dismiss(self.index)
