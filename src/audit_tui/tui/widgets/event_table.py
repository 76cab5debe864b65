"""The event table: a virtual, Line-API table that renders only the rows on screen.

The table is given a view (:class:`~audit_tui.tui.state.EventList`: a store's sorted matches,
or the pages of an audit API loaded so far) and formats a row when it scrolls into sight,
caching the rows and lines of the visible window. A million matches cost no more than ten:
nothing is built per event. When the cursor or the scroll position nears the end of a view that
can grow, the table posts :class:`EventTable.NearEnd` and the screen loads more.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from audit_tui import searchlang
from audit_tui.model import Row, load_json
from audit_tui.tui import highlight, keys
from audit_tui.tui.failures import Guarded
from audit_tui.tui.format import (
    actor_text,
    fit,
    format_time,
    plain_text,
    resource_text,
)
from audit_tui.tui.state import EventList, View
from audit_tui.tui.tablelayout import (  # noqa: F401 - re-exported: the widget's public names
    AHEAD,
    COLUMNS,
    DEFAULT_COLUMNS,
    EXTRA_COLUMNS,
    EXTRA_PATHS,
    NARROW,
    NARROW_TIME,
    TYPE_WIDTH,
    WIDE_TIME,
    Column,
    Layout,
    column_of,
    layout,
)


def path_text(record: Any, paths: tuple[tuple[str, ...], ...]) -> str:
    """The values at the first of ``paths`` that holds any, joined (arrays walked through)."""
    for path in paths:
        values = list(searchlang.path_values(record, path))
        if values:
            return ", ".join(values)
    return ""


def cell_text(key: str, row: Row, record: Any = None) -> Text:
    """The cell of column ``key`` for ``row`` (``record``: the original record, for the
    columns read from it)."""
    if key == "actor_type":
        return plain_text(row.actor_type)
    if key == "id":
        return plain_text(row.id)
    if key in EXTRA_PATHS:
        return plain_text(path_text(record, EXTRA_PATHS[key]))
    if key.startswith("path:"):
        return plain_text(path_text(record, (tuple(key[5:].split(".")),)))
    if key == "event_type":
        return plain_text(row.event_type)
    if key == "resource":
        return resource_text(row)
    if key == "organization":
        return plain_text(row.organization)
    if key == "workspace":
        return plain_text(row.workspace, "(organization)")
    return actor_text(row)


class EventTable(Guarded, ScrollView, can_focus=True):
    """A virtual table of events with its own cursor."""

    BINDINGS = keys.TABLE

    COMPONENT_CLASSES = {
        "event-table--header",
        "event-table--cursor",
        "event-table--odd",
        "event-table--time",
        "event-table--empty",
    }

    DEFAULT_CSS = """
    EventTable {
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        overflow-y: scroll;
        & > .event-table--header { color: $text-accent; text-style: bold; background: $panel; }
        & > .event-table--odd { background: $foreground 4%; }
        & > .event-table--time { color: $text-muted; }
        & > .event-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .event-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .event-table--empty { color: $text-muted; text-style: italic; }
    }
    """

    view: reactive[EventList] = reactive(View, always_update=True, repaint=False)
    cursor: reactive[int] = reactive(0, repaint=False)
    utc: reactive[bool] = reactive(True, repaint=False)
    loading_data: reactive[bool] = reactive(False, repaint=False)
    # (column key, reversed): the order the view is in; None: newest first
    sort: reactive[tuple[str, bool] | None] = reactive(None, repaint=False)
    # the columns after the time, in order (see DEFAULT_COLUMNS, EXTRA_COLUMNS, "path:a.b")
    columns: reactive[tuple[str, ...]] = reactive(DEFAULT_COLUMNS, repaint=False)

    class Opened(Message):
        """The user asked for the details of the event at ``index`` of the view."""

        def __init__(self, index: int) -> None:
            self.index = index
            super().__init__()

    class PivotRequested(Message):
        """The user asked to filter on (``exclude``: out) the row's ``kind`` (actor, resource,
        workspace, type, time)."""

        def __init__(self, index: int, kind: str, exclude: bool) -> None:
            super().__init__()
            self.index = index
            self.kind = kind
            self.exclude = exclude

    class NearEnd(Message):
        """The user is close to the end of a view that can grow: load more rows.

        ``count`` is the number of rows the table had; ``auto`` is True when it follows a new
        view rather than a move of the user's."""

        def __init__(self, count: int, auto: bool = False) -> None:
            self.count = count
            self.auto = auto
            super().__init__()

    class NewAbove(Message):
        """Events arrived above the rows on screen while the user reads further down (a
        followed source): ``count`` of them since the user left the top (0: back at it)."""

        def __init__(self, count: int) -> None:
            self.count = count
            super().__init__()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.new_above = 0  # rows that arrived above the screen since the user left the top
        self._rows: LRUCache[int, Row | None] = LRUCache(2000)
        self._records: LRUCache[int, Any] = LRUCache(500)
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(500)
        self._styles: dict[str, Style] | None = None
        self._type_width = TYPE_WIDTH
        self._years = False
        self._marks = highlight.NONE
        self._marks_query: object = None

    # -- state -----------------------------------------------------------------------------

    def watch_view(self, old: EventList, new: EventList) -> None:
        self._rows.clear()
        self._records.clear()
        self._lines.clear()
        if new.query.expr != self._marks_query:
            self._marks = highlight.Highlighter(new.query.expr)
            self._marks_query = new.query.expr
        self._type_width = new.type_width() or TYPE_WIDTH
        self._years = new.spans_years()
        if new.grew_from(old):
            self._update_size()
            self._follow(old, new)
        elif old.same_list(new):
            self.cursor = min(self.cursor, max(0, new.count - 1))
        else:
            self.cursor = 0
            self.scroll_to(y=0, animate=False, immediate=True)
            self._set_new_above(0)
        self._update_size()
        self.refresh()
        self._check_end(auto=True)

    def _follow(self, old: EventList, new: EventList) -> None:
        """Events arrived: on the top row the table shows the newest (it scrolls with them);
        elsewhere the cursor stays on its event and the rows on screen stay where they are,
        and the rows that arrived above are counted (:class:`NewAbove`)."""
        top = int(self.scroll_offset.y)
        if self.cursor == 0 and top == 0:
            self._set_new_above(0)
            return

        def moved(index: int) -> int:
            if not 0 <= index < old.count:
                return index
            found = new.index_of(old.key(index))
            return index if found is None else found

        cursor = moved(self.cursor)
        new_top = moved(top)
        self._set_new_above(self.new_above + max(0, new_top - top))
        self.scroll_to(y=new_top, animate=False, immediate=True)
        self.cursor = min(cursor, max(0, new.count - 1))

    def _set_new_above(self, count: int) -> None:
        if count != self.new_above:
            self.new_above = count
            self.post_message(self.NewAbove(count))

    def watch_utc(self) -> None:
        self._lines.clear()
        self.refresh()

    def watch_sort(self) -> None:
        self.refresh_line(0)

    def watch_columns(self) -> None:
        self._lines.clear()
        self.refresh()

    @staticmethod
    def _needs_record(plan: Layout) -> bool:
        return any(c.key in EXTRA_PATHS or c.key.startswith("path:") for c, _ in plan.columns)

    def record_at(self, index: int) -> Any:
        """The original record at ``index`` (for the columns read from it), cached."""
        hit = self._records.get(index, False)
        if hit is not False:
            return hit
        try:
            record = load_json(self.view.raw(index))
        except Exception:  # an unreadable record: its cells stay empty
            record = None
        self._records[index] = record
        return record

    def watch_loading_data(self) -> None:
        self.refresh()

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self.view.count - 1)) if self.view.count else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old + 1)  # virtual lines: the header stands in for line 0
        self.refresh_line(new + 1)
        self._keep_visible()
        self._check_end()
        if new == 0 and self.new_above:
            self._set_new_above(0)  # back at the top: the newest rows are in sight

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._check_end()

    def _check_end(self, auto: bool = False) -> None:
        view = self.view
        if not view.has_more or not self.is_mounted:
            return
        bottom = max(self.cursor, int(self.scroll_offset.y) + self.page)
        if bottom >= view.count - AHEAD:
            self.post_message(self.NearEnd(view.count, auto))

    def _update_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.view.count + 1)

    def on_resize(self) -> None:
        self._lines.clear()
        self._update_size()
        self._keep_visible()

    def on_focus(self) -> None:
        self._styles = None  # the cursor looks different with focus
        self._lines.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._styles = None
        self._lines.clear()
        self.refresh()

    @property
    def page(self) -> int:
        """Rows that fit on screen (below the header)."""
        return max(1, self.scrollable_content_region.height - 1)

    def _keep_visible(self) -> None:
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + self.page:
            self.scroll_to(y=self.cursor - self.page + 1, animate=False, immediate=True)

    # -- rows --------------------------------------------------------------------------------

    def row_at(self, index: int) -> Row | None:
        """The row at ``index`` of the view, read on demand (and cached)."""
        view = self.view
        if not view.ready or not 0 <= index < view.count:
            return None
        row = self._rows.get(index, False)
        if row is not False:
            return row  # type: ignore[return-value]
        try:
            row = view.row(index)
        except Exception:  # an unreadable record shows as such and never breaks the table
            row = None
        self._rows[index] = row
        return row

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._lines.clear()

    def _style(self, name: str) -> Style:
        """A component's rich style, looked up once per theme (not once per line)."""
        if self._styles is None:
            base = self.rich_style
            self._styles = {
                "base": base,
                **{
                    c: self.get_component_rich_style(f"event-table--{c}")
                    for c in ("header", "cursor", "odd", "time", "empty")
                },
            }
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header(width)
        index = self.scroll_offset.y + y - 1
        if index >= self.view.count:
            if self.view.count == 0 and y == 2:
                return self._empty(width)
            return Strip.blank(width, self._style("base"))
        is_cursor = index == self.cursor
        key = (index, width, is_cursor, self.utc, self.has_focus)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._line(index, width, is_cursor)
            self._lines[key] = strip
        return strip

    def columns_at(self, width: int) -> Layout:
        """The columns at ``width``, for the view shown (its longest type, its years)."""
        return layout(width, self._type_width, self._years, self.columns)

    def _header(self, width: int) -> Strip:
        plan = self.columns_at(width)
        zone = "UTC" if self.utc else "local"
        when = f"Audited At ({zone})" if plan.time == WIDE_TIME else f"Audited ({zone})"
        style = self._style("header")
        sort = self.sort
        if sort is not None and sort[0] == "audited_at":
            when += " ▲" if sort[1] else " ▼"
        text = " " + fit(when, plan.time)
        for column, w in plan.columns:
            title = column.title
            if sort is not None and sort[0] == column.key:
                title += " ▼" if sort[1] else " ▲"
            text += " " * plan.gap + fit(title, w)
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def _empty(self, width: int) -> Strip:
        if self.loading_data or not self.view.ready:
            message = "Loading events…"
        else:
            message = self.view.empty_message()
        style = self._style("empty")
        return Strip([Segment(" " + fit(message, max(0, width - 1)), style)], width)

    def _line(self, index: int, width: int, is_cursor: bool) -> Strip:
        plan = self.columns_at(width)
        base = self._style("base")
        if is_cursor:
            base = base + self._style("cursor")
        elif index % 2:
            base = base + self._style("odd")
        row = self.row_at(index)
        if row is None:
            cells = [Text("(unreadable record)", "dim")] + [Text("")] * len(plan.columns)
        else:
            when = format_time(row.audited_at, self.utc)
            if plan.time == NARROW_TIME:
                when = when[5:]
            record = self.record_at(index) if self._needs_record(plan) else None
            cells = [
                Text(when),
                *(cell_text(column.key, row, record) for column, _ in plan.columns),
            ]
        shown = False
        if row is not None and self._marks.active:
            for cell, (column, _) in zip(cells[1:], plan.columns, strict=True):
                shown = self._marks.cell(column.key, cell) or shown
        time_style = Style() if is_cursor else self._style("time")
        cells[0].stylize(time_style)
        # the left edge: a marker when the row matched in a value it does not show
        marker = row is not None and self._marks.active and not shown
        line = Text(highlight.MARKER, "bold yellow") if marker else Text(" ")
        widths = [plan.time, *(w for _, w in plan.columns)]
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            if i:
                line.append(" " * plan.gap)
            cell.truncate(w, overflow="ellipsis", pad=True)
            line.append_text(cell)
        line.stylize_before(base)
        segments = list(line.render(self.app.console))
        return Strip(segments).adjust_cell_length(width, base).simplify()

    # -- keys and mouse ----------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor -= self.page
        self.scroll_to(y=self.scroll_offset.y - self.page, animate=False, immediate=True)
        self._keep_visible()

    def action_page_down(self) -> None:
        self.cursor += self.page
        self.scroll_to(y=self.scroll_offset.y + self.page, animate=False, immediate=True)
        self._keep_visible()

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self.view.count - 1

    def action_pivot(self, kind: str, exclude: bool) -> None:
        if self.row_at(self.cursor) is not None:
            self.post_message(self.PivotRequested(self.cursor, kind, exclude))

    def action_open(self) -> None:
        if self.view.count:
            self.post_message(self.Opened(self.cursor))

    class SortRequested(Message):
        """The user clicked the header of column ``column`` (``audited_at`` for the time)."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def column_at(self, x: int) -> str | None:
        """The key of the column under screen column ``x`` of the table."""
        plan = self.columns_at(self.scrollable_content_region.width)
        edge = 1 + plan.time
        if x < edge + plan.gap:
            return "audited_at"
        for column, w in plan.columns:
            edge += plan.gap + w
            if x < edge + plan.gap:
                return column.key
        return None

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            column = self.column_at(event.x)
            if column is not None:
                self.post_message(self.SortRequested(column))
            return
        index = self.scroll_offset.y + event.y - 1
        if 0 <= index < self.view.count:
            self.cursor = index
            self.post_message(self.Opened(index))
