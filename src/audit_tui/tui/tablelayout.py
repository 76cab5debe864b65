"""Where the event table's columns go at a given width: which columns, how wide, in what order.

Kept apart from the widget (no Textual here) so the first screen painted before the interface
starts (:mod:`audit_tui.tui.preview`) lays its rows out exactly as the table will.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    weight: int
    minimum: int
    maximum: int  # wider than this is wasted: the rest goes to the columns without a cap
    drop: int  # columns that do not fit go, lowest first (0: never)


COLUMNS = (
    Column("event_type", "Event Type", 3, 10, 34, 0),
    Column("resource", "Resource", 4, 12, 999, 3),
    Column("organization", "Organization", 2, 10, 22, 1),
    Column("workspace", "Workspace", 2, 10, 22, 2),
    Column("actor", "Actor", 5, 14, 999, 4),
)
WIDE_TIME = 19  # 2026-11-20 14:03:22
NARROW_TIME = 14  # 11-20 14:03:22
NARROW = 100  # below this width: short times (unless the events span years), one-space gaps
TYPE_WIDTH = 24  # room the Event Type column keeps when the longest type is not known
AHEAD = 20  # rows before the end of a growing view at which more are asked for (beyond a page)


@dataclass(frozen=True)
class Layout:
    """Where the table's columns go at one width: the time's width, the gap between columns,
    and the columns shown (the others were dropped, least important first) with their widths."""

    time: int
    gap: int
    columns: tuple[tuple[Column, int], ...]


DEFAULT_COLUMNS = tuple(c.key for c in COLUMNS)
# columns to add from the data: (key, title); any other "path:a.b.c" is a path into the record
EXTRA_COLUMNS = (
    ("actor_type", "Actor Type"),
    ("source_ip", "Source IP"),
    ("outcome", "Outcome"),
    ("id", "Event ID"),
)
# the paths a named extra column reads, first found wins (native, then foreign formats)
EXTRA_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "source_ip": (
        ("metadata", "ip"),
        ("sourceIPAddress",),
        ("sourceIPs",),
        ("client", "ipAddress"),
        ("protoPayload", "requestMetadata", "callerIp"),
        ("actor_ip",),
        ("callerIpAddress",),
    ),
    "outcome": (
        ("metadata", "status"),
        ("metadata", "http_status"),
        ("errorCode",),
        ("responseStatus", "code"),
        ("outcome", "result"),
        ("protoPayload", "status", "code"),
        ("resultType",),
    ),
}


def column_of(key: str) -> Column:
    """The :class:`Column` of a key: one of the six, a named extra, or ``path:a.b.c``."""
    for c in COLUMNS:
        if c.key == key:
            return c
    title = dict(EXTRA_COLUMNS).get(key) or key.removeprefix("path:")
    return Column(key, title, 2, 8, 40, 5)


def layout(
    width: int,
    type_width: int = TYPE_WIDTH,
    years: bool = False,
    keys: tuple[str, ...] = DEFAULT_COLUMNS,
) -> Layout:
    """The columns of a table ``width`` cells wide. The Event Type column gets ``type_width``
    cells (its longest value) before any other column gets more than its minimum; a column
    that does not fit is dropped (Organization first) rather than every column shrinking.
    ``years``: the events span more than one year, so times keep their year when narrow."""
    narrow = width < NARROW
    time_w = WIDE_TIME if years or not narrow else NARROW_TIME
    gap = 1 if narrow else 2
    wanted = {"event_type": max(COLUMNS[0].minimum, min(type_width, COLUMNS[0].maximum))}
    shown = [column_of(k) for k in keys]

    def room() -> int:
        return max(0, width - 1 - time_w - gap * len(shown))

    def minimum(c: Column) -> int:
        return wanted.get(c.key, c.minimum)

    def maximum(c: Column) -> int:  # the event type needs no more than its longest value
        return wanted.get(c.key, c.maximum)

    while sum(minimum(c) for c in shown) > room() and any(c.drop for c in shown):
        shown.remove(min((c for c in shown if c.drop), key=lambda c: c.drop))
    avail = room()
    widths = [minimum(c) for c in shown]
    spare = avail - sum(widths)
    if spare < 0:  # too narrow even for the event type: shrink the widest columns
        while sum(widths) > avail and max(widths) > 1:
            widths[widths.index(max(widths))] -= 1
        return Layout(time_w, gap, tuple(zip(shown, widths, strict=True)))
    # Hand out the rest by weight, never past a column's maximum.
    open_ = [i for i, c in enumerate(shown) if widths[i] < maximum(c)]
    while spare > 0 and open_:
        weights = sum(shown[i].weight for i in open_)
        given = 0
        for i in open_:
            share = max(1, spare * shown[i].weight // weights)
            share = min(share, maximum(shown[i]) - widths[i], spare - given)
            widths[i] += share
            given += share
        spare -= given
        open_ = [i for i in open_ if widths[i] < maximum(shown[i])]
        if given == 0:
            break
    return Layout(time_w, gap, tuple(zip(shown, widths, strict=True)))
