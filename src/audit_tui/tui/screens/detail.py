"""The detail dialog: one event's original record as highlighted JSON, with copy and next/prev.

The record is read from the view once per event shown and kept, so what is shown and what
``c`` copies are the same bytes: the original record, exactly as the source wrote it (for an
audit API: the event's JSON exactly as the server sent it).

When the event records a change (a before and an after state, see :mod:`audit_tui.diff`), what
it changed is shown above the JSON: each path with its old and new value; ``d`` hides and
shows it. ``b`` goes to the previous event that changed the same resource (a deployment, its
rollback, the change before), even when the filters hide it.
"""

from __future__ import annotations

import orjson
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.highlight import highlight
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from audit_tui import diff
from audit_tui.changes import EventChanges
from audit_tui.safe import clean
from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded
from audit_tui.tui.format import format_time, thousands
from audit_tui.tui.services import app_of
from audit_tui.tui.state import EventList

DIFF_STYLES = {
    diff.ADDED: "green",
    diff.REMOVED: "red",
    diff.CHANGED: "yellow",
    diff.SET: "cyan",
}
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
        self.index = index  # the last event shown that is in the list
        self.key = view.key(index)  # the event shown (may be outside the list: see ``b``)
        self.utc = utc
        self.raw = b""
        self.show_diff = True
        self.changes: EventChanges | None = None

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
        inside = self.view.index_of(self.key)
        if inside is not None:
            self.index = inside
        try:
            self.raw = self.view.raw_at(self.key)
        except Exception as error:  # a record that cannot be read says so in the dialog
            self.raw = b""
            self.query_one("#detail-json", Static).update(
                Text(clean(f"This record cannot be read: {error}", 300), "red")
            )
            return
        title = Text()
        try:
            row = self.view.row_at(self.key)
        except Exception as error:  # not a valid event: its text is still worth seeing
            title.append(clean(f"Not a valid event: {error}", 80), "bold red")
        else:
            title.append(clean(row.event_type, 80), "bold")
            zone = "UTC" if self.utc else "local"
            title.append(f"  {format_time(row.audited_at, self.utc)} {zone}", "dim")
        if inside is None:
            title.append("   outside the current filters", "bold yellow")
        else:
            title.append(f"   event {thousands(inside + 1)} of {thousands(self.view.count)}")
        try:
            self.changes = self.view.changes_at(self.key)
        except Exception:  # a record the diff cannot read: the JSON is still shown
            self.changes = None
        if self.changes:
            n = len(self.changes.changes)
            title.append(f"   {thousands(n)} change{'s' if n != 1 else ''}", "bold")
            title.append(" (d: diff on/off)" if self.show_diff else " (d: show)", "dim")
        self.query_one("#detail-title", Static).update(title)
        body = highlight(pretty(self.raw), language="json")
        if self.changes and self.show_diff:
            body = Content.from_rich_text(self._diff_text(self.changes)) + "\n" + body
        self.query_one("#detail-json", Static).update(body)
        self.query_one("#detail-body", VerticalScroll).scroll_home(animate=False)

    def _diff_text(self, found: EventChanges) -> Text:
        """What the event changed, a line per path, coloured by kind; every value sanitised."""
        text = Text()
        text.append("What changed", "bold underline")
        if found.against is not None:
            try:
                before = self.view.row_at(found.against)
                when = format_time(before.audited_at, self.utc)
                text.append(f"  (against the object's previous event, {when})", "dim")
            except Exception:
                pass
        text.append("\n")
        for change in found.changes[: diff.MAX_CHANGES]:
            text.append(diff.change_line(change), DIFF_STYLES[change.kind])
            text.append("\n")
        return text

    def action_toggle_diff(self) -> None:
        if not self.changes:
            self.notify("This event records no change.", severity="warning", markup=False)
            return
        self.show_diff = not self.show_diff
        self._show()

    def action_previous_change(self) -> None:
        try:
            found = self.view.previous_change(self.key)
        except Exception as error:
            self.notify(clean(f"Cannot look back: {error}", 200), severity="error", markup=False)
            return
        if found is None:
            self.notify("No earlier change of this resource.", severity="warning", markup=False)
            return
        self.key = found
        self._show()

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
        if self.view.index_of(self.key) is None:  # back from outside the list to where it was
            self.key = self.view.key(self.index)
            self._show()
            return
        index = self.index + delta
        if 0 <= index < self.view.count:
            self.index = index
            self.key = self.view.key(index)
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
