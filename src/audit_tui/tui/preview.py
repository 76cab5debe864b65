"""The first rows on screen before the interface is up: the newest events of a big file, painted
where the table will show them.

Starting the browser on a million events takes most of a second: Python and Textual load, the
screen is built, the store answers its first query. Reading the ends of the file takes a few
milliseconds, so the browser paints the newest events first, as plain rows at the place and in
the layout of the table (:mod:`audit_tui.tui.tablelayout`), and the interface then draws itself
over them. No Textual here: this runs before it is imported.

Every value is untrusted: each cell goes through :func:`audit_tui.safe.clean` and the only
escape sequences written are this module's own (the alternate screen, the cursor, bold and dim).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from typing import TextIO

from rich.cells import cell_len, set_cell_size

from audit_tui.model import InvalidRecord, Row, flatten, load_json
from audit_tui.safe import ELLIPSIS, clean
from audit_tui.sources.formats import normalise
from audit_tui.tui.format import CELL_LIMIT, format_time, marker
from audit_tui.tui.tablelayout import (
    DEFAULT_COLUMNS,
    NARROW_TIME,
    TYPE_WIDTH,
    WIDE_TIME,
    layout,
)

END_BYTES = 64 * 1024  # read from each end of the file
MIN_BYTES = 8 * 1024 * 1024  # smaller files load in a blink: the interface shows them itself
# Where the browser's table is (see app.tcss and BrowserScreen): the filter sidebar (38 cells)
# and the timeline are shown from 120 columns on; the header and the search box (and the
# timeline's two lines) come above the table's own header; the status line and the footer below.
OVERLAY_BELOW = 120
SIDEBAR = 38
ABOVE_WIDE = 6
ABOVE_NARROW = 4
BELOW = 2

ALT_SCREEN, MAIN_SCREEN = "\x1b[?1049h", "\x1b[?1049l"
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def wanted() -> bool:
    """A preview helps only a person at a terminal (not a pipe, not a web page)."""
    if os.environ.get("AUDIT_TUI_PREVIEW", "1") == "0":
        return False
    if os.environ.get("TERM", "dumb") == "dumb" or os.environ.get("TEXTUAL_DRIVER"):
        return False
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def newest_rows(path: str, count: int, forced: str | None = None) -> tuple[list[Row], bool]:
    """The ``count`` newest events of the JSON-lines file ``path`` among those at its two ends
    (a log is in time order one way or the other), and whether they span more than a year.
    Records that cannot be read are left out: the loader reports them."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size <= 2 * END_BYTES:
            chunks = [f.read()]
        else:
            head = f.read(END_BYTES)
            f.seek(size - END_BYTES)
            chunks = [head[: head.rfind(b"\n") + 1], f.read().split(b"\n", 1)[-1]]
    rows: list[Row] = []
    for chunk in chunks:
        for line in chunk.split(b"\n"):
            if not line.strip():
                continue
            try:
                record = load_json(line)
                if not isinstance(record, dict):
                    continue
                rows.append(flatten(normalise(record, forced)))
            except (InvalidRecord, ValueError, TypeError, RecursionError):
                continue
    if not rows:
        return [], False
    times = [r.audited_at for r in rows]
    years = max(times) - min(times) > 366 * 86_400_000
    rows.sort(key=lambda r: r.audited_at, reverse=True)
    return rows[:count], years


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    length = cell_len(text)
    if length <= width:
        return text + " " * (width - length)
    return set_cell_size(text, width - 1) + ELLIPSIS


def _cells(key: str, row: Row) -> tuple[str, str]:
    """A cell as (text, dimmed tail): as the table's cell functions show it, without styles."""
    if key == "event_type":
        return clean(row.event_type, CELL_LIMIT) or "—", ""
    if key == "resource":
        name = clean(row.resource_name or row.resource_id or "—", CELL_LIMIT)
        kind = clean(row.resource_type, CELL_LIMIT)
        return name, " " + kind if kind else ""
    if key == "organization":
        return clean(row.organization, CELL_LIMIT) or "—", ""
    if key == "workspace":
        return clean(row.workspace, CELL_LIMIT) or "(organization)", ""
    name = clean(row.actor_name or row.actor_email or row.actor_id or "(unknown)", CELL_LIMIT)
    text = marker(row.actor_type) + name
    if row.actor_as:
        text += " as " + clean(row.actor_as, CELL_LIMIT)
    tail = " " + clean(row.actor_email, CELL_LIMIT) if row.actor_email and row.actor_name else ""
    return text, tail


def _cell(key: str, row: Row, width: int) -> str:
    text, tail = _cells(key, row)
    whole = _fit(text + tail, width)
    if not tail or cell_len(text) >= width:
        return whole
    # the dimmed part is what follows the name within the width
    cut = len(text)
    return whole[:cut] + DIM + whole[cut:] + RESET


def render(
    rows: list[Row],
    title: str,
    size: tuple[int, int],
    *,
    utc: bool = True,
    years: bool = False,
) -> str:
    """The escape sequences that show ``rows`` where the table will (a full screen)."""
    width, height = size
    wide = width >= OVERLAY_BELOW
    left = SIDEBAR if wide else 0
    top = ABOVE_WIDE if wide else ABOVE_NARROW
    table_width = width - left - 1  # the table's scrollbar
    longest = max((cell_len(clean(r.event_type)) for r in rows), default=TYPE_WIDTH)
    plan = layout(table_width, longest, years, DEFAULT_COLUMNS)
    zone = "UTC" if utc else "local"
    when = f"Audited At ({zone})" if plan.time == WIDE_TIME else f"Audited ({zone})"
    header = " " + _fit(when, plan.time)
    for column, w in plan.columns:
        header += " " * plan.gap + _fit(column.title, w)
    out = [ALT_SCREEN, HIDE_CURSOR, RESET, "\x1b[2J", "\x1b[1;1H"]
    name = clean(title, 300)
    pad = max(0, (width - cell_len(name)) // 2)
    out.append(_fit(" " * pad + name, width))
    col = left + 1
    out.append(f"\x1b[{top + 1};{col}H{BOLD}{_fit(header, table_width)}{RESET}")
    room = max(0, height - top - 1 - BELOW)
    for i, row in enumerate(rows[:room]):
        stamp = format_time(row.audited_at, utc)
        if plan.time == NARROW_TIME:
            stamp = stamp[5:]
        line = " " + DIM + _fit(stamp, plan.time) + RESET
        for column, w in plan.columns:
            line += " " * plan.gap + _cell(column.key, row, w)
        out.append(f"\x1b[{top + 2 + i};{col}H{line}")
    out.append(f"\x1b[{height - 1};1H" + _fit(" Loading events…", width))
    return "".join(out)


def paint_newest(
    path: str,
    title: str,
    *,
    forced: str | None = None,
    utc: bool = True,
    out: TextIO | None = None,
) -> Callable[[], None] | None:
    """Paint the newest events of ``path`` on the terminal now; returns what puts the terminal
    back (when the interface does not start after all), or None when nothing was painted."""
    stream = out or sys.stdout
    try:
        size = os.get_terminal_size(stream.fileno())
        st = os.stat(path)  # a named pipe or a device is read once, by the loader: not here
        if not stat.S_ISREG(st.st_mode) or st.st_size < MIN_BYTES:
            return None
        with open(path, "rb") as f:
            if f.read(2) == b"\x1f\x8b":
                return None
        rows, years = newest_rows(path, size.lines, forced)
    except (OSError, ValueError):
        return None
    if not rows:
        return None
    stream.write(render(rows, title, (size.columns, size.lines), utc=utc, years=years))
    stream.flush()

    def restore() -> None:
        stream.write(RESET + SHOW_CURSOR + MAIN_SCREEN)
        stream.flush()

    return restore
