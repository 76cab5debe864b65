"""Every key of the browser, in one place.

These lists are the ``BINDINGS`` of the app, the screens and the widgets; the footer, the help
screen and the command palette all read them, so a key is described once. Each binding has a
unique ``id`` (``browser.search``...), so ``App.set_keymap({"browser.search": "ctrl+f"})``
rebinds it and the footer follows. Nothing reads a user keymap yet, and the help screen and the
palette's key hints show the keys written here.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP: list[BindingType] = [
    Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave audit-tui"),
    Binding(
        "question_mark", "help", "Help", key_display="?", id="app.help", tooltip="Show every key"
    ),
]

BROWSER: list[BindingType] = [
    Binding(
        "slash",
        "focus_search",
        "Search",
        key_display="/",
        id="browser.search",
        tooltip="Filter the events by words (as you type)",
    ),
    Binding(
        "t",
        "pick_period",
        "Time",
        id="browser.period",
        tooltip="Choose the time period: all time, the last hour or 24 hours, the last 7, 30 or "
        "90 days, or a range",
    ),
    Binding(
        "T",
        "custom_range",
        "Custom range",
        show=False,
        id="browser.custom_range",
        tooltip="Give a since / until time range",
    ),
    Binding(
        "A",
        "anchor",
        "Anchor to newest",
        show=False,
        id="browser.anchor",
        tooltip="When the period shows nothing, move it back to end at the newest event",
    ),
    Binding(
        "a", "focus_facet('actors')", "Actor", id="browser.actors", tooltip="Go to the Actor filter"
    ),
    Binding(
        "e",
        "focus_facet('event_types')",
        "Type",
        id="browser.event_types",
        tooltip="Go to the Event Type filter",
    ),
    Binding(
        "w",
        "focus_facet('workspaces')",
        "Workspace",
        id="browser.workspaces",
        tooltip="Go to the Workspace filter",
    ),
    Binding(
        "h",
        "toggle_timeline",
        "Timeline",
        id="browser.timeline",
        tooltip="Hide or show the timeline: matching events per time bucket",
    ),
    Binding(
        "left_square_bracket",
        "timeline(-1)",
        "Earlier bucket",
        key_display="[",
        show=False,
        id="browser.timeline_earlier",
        tooltip="Select the timeline's previous bucket (enter zooms to it)",
    ),
    Binding(
        "right_square_bracket",
        "timeline(1)",
        "Later bucket",
        key_display="]",
        show=False,
        id="browser.timeline_later",
        tooltip="Select the timeline's next bucket (enter zooms to it)",
    ),
    Binding(
        "backspace",
        "zoom_out",
        "Zoom out",
        show=False,
        id="browser.zoom_out",
        tooltip="Back to the time range before the last zoom",
    ),
    Binding(
        "f",
        "toggle_filters",
        "Filters",
        key_display="f",
        id="browser.filters",
        tooltip="Hide or show the filter panels",
    ),
    Binding(
        "X,ctrl+x",
        "clear_all",
        "Clear all",
        key_display="X",
        show=False,
        id="browser.clear_all",
        tooltip="Clear the search, the time period and every filter",
    ),
    Binding(
        "greater_than_sign",
        "sort_column(1)",
        "Sort →",
        key_display=">",
        show=False,
        id="browser.sort_next",
        tooltip="Sort by the next column to the right (the header marks it; click a header too)",
    ),
    Binding(
        "less_than_sign",
        "sort_column(-1)",
        "Sort ←",
        key_display="<",
        show=False,
        id="browser.sort_previous",
        tooltip="Sort by the next column to the left",
    ),
    Binding(
        "tilde",
        "sort_reverse",
        "Reverse",
        key_display="~",
        show=False,
        id="browser.sort_reverse",
        tooltip="Reverse the order of the sorted column",
    ),
    Binding(
        "c",
        "choose_columns",
        "Columns",
        show=False,
        id="browser.columns",
        tooltip="Show, hide, reorder and add columns (actor type, source IP, outcome, any path)",
    ),
    Binding(
        "ctrl+s",
        "save_view",
        "Save view",
        show=False,
        id="browser.save_view",
        tooltip="Save the search, period, filters, sort and time zone under a name",
    ),
    Binding(
        "v",
        "list_views",
        "Views",
        show=False,
        id="browser.views",
        tooltip="The saved views: open or delete one",
    ),
    Binding(
        "L",
        "copy_command",
        "Copy command",
        show=False,
        id="browser.copy_command",
        tooltip="Copy the audit-tui command line that reopens this view",
    ),
    Binding(
        "z",
        "toggle_utc",
        "UTC/local",
        id="browser.utc",
        tooltip="Show times in UTC or in local time",
    ),
    Binding(
        "s",
        "export",
        "Export",
        id="browser.export",
        tooltip="Save every event of this view to a file (CSV, JSON, JSON lines)",
    ),
    Binding(
        "r",
        "reload",
        "Reload",
        id="browser.reload",
        tooltip="Read the source again, keeping the filters",
    ),
    Binding(
        "F",
        "toggle_follow",
        "Follow",
        id="browser.follow",
        tooltip="Follow the source as it grows (new events join the view), or stop",
    ),
    Binding(
        "escape",
        "focus_table",
        "Back to table",
        show=False,
        id="browser.table",
        tooltip="Return to the event table",
    ),
]

TIMELINE: list[BindingType] = [
    Binding("enter", "zoom", "Zoom", id="timeline.zoom", tooltip="Show only the selected bucket"),
    Binding("left", "move(-1)", "Earlier", show=False, id="timeline.left"),
    Binding("right", "move(1)", "Later", show=False, id="timeline.right"),
]

# the pivots: on the table's row or the detail view's event (shift: exclude instead). Listed in
# the help screen and the README, not in the footer (it keeps the keys every screen needs).
PIVOT_KEYS = (
    ("u", "actor", "This actor", "Search this event's actor"),
    ("o", "resource", "This resource", "Search this event's resource"),
    ("i", "workspace", "This workspace", "Search this event's workspace"),
    ("y", "type", "This type", "Search this event's type"),
)


def pivots(where: str) -> list[BindingType]:
    """The pivot keys, with ids of their own for ``where`` (``table`` or ``detail``)."""
    out: list[BindingType] = []
    for key, kind, label, tip in PIVOT_KEYS:
        out.append(
            Binding(
                key,
                f"pivot('{kind}', False)",
                label,
                show=False,
                id=f"{where}.pivot_{kind}",
                tooltip=f"{tip} ({key.upper()}: exclude it)",
            )
        )
        out.append(
            Binding(
                key.upper(),
                f"pivot('{kind}', True)",
                "Not " + label[0].lower() + label[1:],
                show=False,
                id=f"{where}.exclude_{kind}",
                tooltip=f"Exclude this event's {kind}",
            )
        )
    out.append(
        Binding(
            "m",
            "pivot('time', False)",
            "±15 min",
            show=False,
            id=f"{where}.pivot_time",
            tooltip="Show the 15 minutes before and after this event (a custom range)",
        )
    )
    return out


PIVOTS = pivots("table")

TABLE_KEYS: list[BindingType] = [
    Binding("enter", "open", "Details", id="table.open", tooltip="Show the full event"),
    Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
    Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
    Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
    Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
    Binding("g,home", "first", "Newest", key_display="g", show=False, id="table.first"),
    Binding("G,end", "last", "Oldest", key_display="G", show=False, id="table.last"),
]
TABLE = [*TABLE_KEYS, *PIVOTS]

FACET_LIST: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False, id="facet.down", tooltip="Next value"),
    Binding("k", "cursor_up", "Up", show=False, id="facet.up", tooltip="Previous value"),
]

NARROW: list[BindingType] = [
    Binding(
        "escape",
        "clear",
        "Clear",
        show=False,
        id="facet.narrow_clear",
        tooltip="Clear the narrowing text (escape again returns to the table)",
    ),
]

FACET: list[BindingType] = [
    Binding(
        "x",
        "clear_facet",
        "Clear filter",
        id="facet.clear",
        tooltip="Untick every value of this filter (space ticks one)",
    ),
    Binding(
        "n",
        "narrow",
        "Narrow",
        id="facet.narrow",
        tooltip="Type to narrow this list (enter or down returns to it)",
    ),
]

DETAIL_KEYS: list[BindingType] = [
    Binding(
        "c",
        "copy",
        "Copy JSON",
        id="detail.copy",
        tooltip="Copy the original record to the clipboard",
    ),
    Binding(
        "right_square_bracket",
        "step(1)",
        "Next event",
        key_display="]",
        id="detail.next",
        tooltip="Show the next (older) event",
    ),
    Binding(
        "left_square_bracket",
        "step(-1)",
        "Prev event",
        key_display="[",
        id="detail.previous",
        tooltip="Show the previous (newer) event",
    ),
    Binding(
        "n", "next_match(1)", "Next match", id="detail.next_match", tooltip="Jump to the next match"
    ),
    Binding(
        "N",
        "next_match(-1)",
        "Prev match",
        show=False,
        id="detail.previous_match",
        tooltip="Jump to the previous match",
    ),
    Binding(
        "d",
        "toggle_diff",
        "Diff",
        id="detail.diff",
        tooltip="Show or hide what the event changed (its before and after states)",
    ),
    Binding(
        "b",
        "previous_change",
        "Prev change",
        id="detail.previous_change",
        tooltip="Go to the previous event that changed the same resource",
    ),
    Binding(
        "down",
        "move_cursor(1)",
        "Next value",
        show=False,
        id="detail.cursor_down",
        tooltip="Move the cursor to the next value of the JSON",
    ),
    Binding(
        "up",
        "move_cursor(-1)",
        "Previous value",
        show=False,
        id="detail.cursor_up",
        tooltip="Move the cursor to the previous value of the JSON",
    ),
    Binding(
        "enter",
        "filter_value(False)",
        "Filter on value",
        show=False,
        id="detail.filter",
        tooltip="Add path:value of the value under the cursor to the search",
    ),
    Binding(
        "minus",
        "filter_value(True)",
        "Exclude value",
        key_display="-",
        show=False,
        id="detail.exclude",
        tooltip="Add -path:value of the value under the cursor to the search",
    ),
    Binding("j", "scroll(1)", "Scroll down", show=False, id="detail.down"),
    Binding("k", "scroll(-1)", "Scroll up", show=False, id="detail.up"),
    Binding("escape", "close", "Close", id="detail.close"),
]
DETAIL = [*DETAIL_KEYS, *pivots("detail")]

RANGE: list[BindingType] = [
    Binding("escape", "cancel", "Cancel", id="range.cancel"),
    Binding("enter", "apply", "Apply", id="range.apply", priority=True),
]

EXPORT: list[BindingType] = [
    Binding(
        "enter",
        "export",
        "Export",
        id="export.start",
        tooltip="Export with the format and file shown",
        priority=True,
    ),
    Binding(
        "escape",
        "cancel",
        "Cancel",
        id="export.cancel",
        tooltip="Close the dialog; while exporting, stop (nothing is left behind)",
    ),
]

CONFIRM: list[BindingType] = [
    Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    Binding("n,escape", "answer(False)", "No", key_display="n", id="confirm.no"),
]

AUTH: list[BindingType] = [
    Binding("q", "leave", "Quit", id="auth.quit", tooltip="Leave audit-tui"),
    Binding("r", "retry", "Try again", id="auth.retry", tooltip="Ask the server again"),
]

HELP: list[BindingType] = [
    Binding("escape,q,question_mark", "close", "Close", key_display="esc", id="help.close"),
]


def bindings(items: list[BindingType]) -> list[Binding]:
    """The :class:`Binding` objects of a list (all of ours are; tuples are Textual's shorthand)."""
    return [b for b in items if isinstance(b, Binding)]


# What the help screen shows, section by section.
SECTIONS: list[tuple[str, list[BindingType]]] = [
    ("Event table", TABLE_KEYS),
    ("Search, filters and export", BROWSER),
    ("Event details", DETAIL_KEYS),
    ("Pivots (on the table's row or in the event details)", PIVOTS),
    ("Filter panels", FACET + FACET_LIST + NARROW),
    ("Timeline", TIMELINE),
    ("Export dialog", EXPORT),
    ("Anywhere", APP),
]
