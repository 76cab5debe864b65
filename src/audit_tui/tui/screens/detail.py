"""The detail dialog: one event's original record as highlighted JSON, with copy and next/prev.

The record is read from the view once per event shown and kept, so what is shown and what
``c`` copies are the same bytes: the original record, exactly as the source wrote it (for an
audit API: the event's JSON exactly as the server sent it).

When the event records a change (a before and an after state, see :mod:`audit_tui.diff`), what
it changed is shown above the JSON: each path with its old and new value; ``d`` hides and
shows it. ``b`` goes to the previous event that changed the same resource (a deployment, its
rollback, the change before), even when the filters hide it.

The search's matches are highlighted in the JSON; ``n``/``N`` jump between them (``]``/``[``
show the next/previous event). ``up``/``down`` move a cursor over the values: ``enter`` adds
``path:value`` to the search, ``-`` its negation. The pivot keys (``u`` actor, ``o`` resource,
``i`` workspace, ``y`` event type, shifted to exclude; ``m`` ±15 minutes) filter on this event.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.highlight import highlight
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from audit_tui import diff, searchlang
from audit_tui.changes import EventChanges
from audit_tui.model import Row
from audit_tui.safe import clean
from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded
from audit_tui.tui.format import format_time, thousands
from audit_tui.tui.highlight import CURRENT_STYLE, MATCH_STYLE, Highlighter
from audit_tui.tui.jsonpaths import Leaf, leaves
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
    return parsed_pretty(raw)[0]


def parsed_pretty(raw: bytes) -> tuple[str, list[Leaf]]:
    """:func:`pretty`, and where each value of the record is in it (none for invalid JSON)."""
    found: list[Leaf] = []
    try:
        record = orjson.loads(raw)
        text = orjson.dumps(record, option=orjson.OPT_INDENT_2).decode()
    except (orjson.JSONDecodeError, TypeError):
        text = raw.decode("utf-8", "replace")
        record = None
    cut = len(text) > MAX_SHOWN
    if cut:
        text = text[:MAX_SHOWN] + "\n… (cut here: press c to copy the whole record)"
    lines = text.split("\n")
    if record is not None:
        found = leaves(record, limit=len(lines) - 1 if cut else None)
    return "\n".join(clean(line) for line in lines), found


# what the pivot keys filter on, and what a pivot asks the browser to do
Pivot = Callable[[str, Row, bool], None]  # (actor|resource|workspace|type|time, row, exclude)
AddTerm = Callable[[str], None]


class DetailScreen(Guarded, ModalScreen[int]):
    """Shows the event at ``index`` of ``view``; dismisses with the index last shown."""

    BINDINGS = keys.DETAIL

    def __init__(
        self,
        view: EventList,
        index: int,
        utc: bool = True,
        *,
        pivot: Pivot | None = None,
        add_term: AddTerm | None = None,
    ) -> None:
        super().__init__()
        self.view = view
        self.pivot = pivot
        self.add_term = add_term
        self.marks = Highlighter(view.query.expr)
        self.leaves: list[Leaf] = []
        self.cursor: int | None = None  # index into ``leaves``
        self.matches: list[tuple[int, int, int]] = []  # (line, start, end) in the JSON
        self.match: int | None = None  # index into ``matches``
        self.top = 0  # lines above the JSON (the diff)
        self.row: Row | None = None
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
            yield Static(id="detail-origin", markup=False)
            with VerticalScroll(id="detail-body"):
                yield Static(id="detail-json", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one("#detail-body").focus()

    text = ""

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
        self.row = None
        try:
            row = self.view.row_at(self.key)
        except Exception as error:  # not a valid event: its text is still worth seeing
            title.append(clean(f"Not a valid event: {error}", 80), "bold red")
        else:
            self.row = row
            title.append(clean(row.event_type, 80), "bold")
            zone = "UTC" if self.utc else "local"
            title.append(f"  {format_time(row.audited_at, self.utc)} {zone}", "dim")
            if row.actor_as:
                who = clean(row.actor_name or row.actor_id, 40)
                title.append(f"   {who} as {clean(row.actor_as, 40)}", "bold yellow")
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
        self.text, self.leaves = parsed_pretty(self.raw)
        self.matches = self.marks.lines(self.text)
        self.match = None
        self.cursor = None
        if self.matches:
            n = len(self.matches)
            title.append(f"   {thousands(n)} match{'es' if n != 1 else ''} (n/N)", "dim")
        self.query_one("#detail-title", Static).update(title)
        self._show_origin()
        self._render_body()
        self.query_one("#detail-body", VerticalScroll).scroll_home(animate=False)

    def _show_origin(self) -> None:
        """The file (and line) the event comes from, under the title: a source of several
        files only."""
        line = self.query_one("#detail-origin", Static)
        try:
            origin = self.view.origin_at(self.key)
        except Exception:  # noqa: BLE001 - where it comes from is a detail; the event is shown
            origin = None
        line.display = origin is not None
        self.origin = origin
        if origin is not None:
            self._fit_origin()
            self.call_after_refresh(self._fit_origin)  # again once its width is known

    origin: tuple[str, str] | None = None

    def _fit_origin(self) -> None:
        """One line: a long path loses its start, never its file name nor the line."""
        if self.origin is None:
            return
        line = self.query_one("#detail-origin", Static)
        name, where = clean(self.origin[0], 1000), clean(self.origin[1], 40)
        suffix = f", {where}" if where else ""
        width = line.content_region.width or self.app.size.width - 12
        room = max(12, width - len("from ") - len(suffix))
        if len(name) > room:
            name = "…" + name[-(room - 1) :]
        line.update(Text(f"from {name}{suffix}", "dim"))

    def _render_body(self) -> None:
        """The diff (when shown) above the JSON, with the matches, the current match and the
        cursor's line marked."""
        body = highlight(self.text, language="json")
        starts = [0]
        for text_line in self.text.split("\n"):
            starts.append(starts[-1] + len(text_line) + 1)
        for i, (number, a, b) in enumerate(self.matches):
            style = CURRENT_STYLE if i == self.match else MATCH_STYLE
            body = body.stylize(style, starts[number] + a, starts[number] + b)
        if self.cursor is not None:
            number = self.leaves[self.cursor].line
            body = body.stylize("reverse", starts[number], starts[number + 1] - 1)
        self.top = 0
        if self.changes and self.show_diff:
            shown = self._diff_text(self.changes)
            self.top = shown.plain.count("\n") + 1
            body = Content.from_rich_text(shown) + "\n" + body
        self.query_one("#detail-json", Static).update(body)

    def _reveal(self, line: int) -> None:
        """Scroll so that JSON line ``line`` is on screen."""
        scroll = self.query_one("#detail-body", VerticalScroll)
        y = self.top + line
        height = max(1, scroll.scrollable_content_region.height)
        if y < scroll.scroll_y or y >= scroll.scroll_y + height:
            scroll.scroll_to(y=max(0, y - height // 3), animate=False, immediate=True)

    # -- the matches and the cursor ----------------------------------------------------------

    def action_next_match(self, delta: int) -> None:
        if not self.matches:
            self.notify("No match of the search in this event.", markup=False)
            return
        if self.match is None:
            self.match = 0 if delta > 0 else len(self.matches) - 1
        else:
            self.match = (self.match + delta) % len(self.matches)
        self._render_body()
        self._reveal(self.matches[self.match][0])

    def action_move_cursor(self, delta: int) -> None:
        if not self.leaves:
            self.action_scroll(delta)
            return
        if self.cursor is None:
            self.cursor = 0 if delta > 0 else len(self.leaves) - 1
        else:
            self.cursor = max(0, min(len(self.leaves) - 1, self.cursor + delta))
        self._render_body()
        self._reveal(self.leaves[self.cursor].line)

    def _cursor_term(self, negate: bool) -> str | None:
        if self.cursor is None:
            return None
        leaf = self.leaves[self.cursor]
        value = leaf.text
        if not value.strip():
            self.notify("This value is empty: nothing to search for.", markup=False)
            return None
        name = searchlang.path_name(leaf.keys)
        if name is None:  # a key the language cannot name: the value anywhere, as a phrase
            self.notify(
                "This key cannot be written as a path: searching for the value anywhere.",
                markup=False,
            )
            return ("-" if negate else "") + searchlang.quote(value)
        return searchlang.field_term(name, value, negate)

    def action_filter_value(self, negate: bool) -> None:
        if self.add_term is None:
            return
        if self.cursor is None:
            self.notify("Move to a value first (up / down).", markup=False)
            return
        term = self._cursor_term(negate)
        if term is not None:
            self.dismiss(self.index)
            self.add_term(term)

    def action_pivot(self, kind: str, exclude: bool) -> None:
        if self.pivot is None or self.row is None:
            return
        row = self.row
        self.dismiss(self.index)
        self.pivot(kind, row, exclude)

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
