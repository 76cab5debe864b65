"""The timeline: matching events per time bucket, one line of blocks (▁▂▃▄▅▆▇█) above the
table, with the busiest bucket's count and the range's ends labelled.

The screen computes the counts (:meth:`audit_tui.store.Store.histogram`, under every current
filter) and hands them down as a :class:`Histogram`; the strip asks for counts at its own width
with :class:`Timeline.Resized`. ``[`` and ``]`` select a bucket, ``enter`` asks the screen to
zoom the time range to it (:class:`Timeline.Zoom`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded
from audit_tui.tui.format import thousands

BLOCKS = "▁▂▃▄▅▆▇█"
DAY_MS = 86_400_000


@dataclass(frozen=True, eq=False)
class Histogram:
    """Counts per bucket: bucket ``i`` covers ``[start + i*step, start + (i+1)*step)`` ms."""

    start: int
    step: int
    counts: np.ndarray
    end: int | None = (
        None  # the range's real end (ms, exclusive): the newest event or the period's end
    )

    @property
    def buckets(self) -> int:
        return len(self.counts)

    def bounds(self, index: int) -> tuple[int, int]:
        return self.start + index * self.step, self.start + (index + 1) * self.step


def when(ms: int, step: int) -> str:
    """A bucket edge as precise as the buckets are: a date for whole days, else the time."""
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%d" if step % DAY_MS == 0 else "%Y-%m-%d %H:%M")


def bars(counts: np.ndarray) -> str:
    """One block per count, scaled to the busiest; a count above zero is never blank."""
    top = int(counts.max()) if len(counts) else 0
    if top <= 0:
        return " " * len(counts)
    levels = np.ceil(counts * len(BLOCKS) / top).astype(int)
    return "".join(
        " " if c == 0 else BLOCKS[min(len(BLOCKS), lv) - 1]
        for c, lv in zip(counts, levels, strict=True)
    )


class Timeline(Guarded, Widget, can_focus=True):
    """Two lines: the blocks, then the range's ends and the busiest bucket."""

    BINDINGS = keys.TIMELINE

    DEFAULT_CSS = """
    Timeline {
        height: 2;
        background: $surface;
        color: $text-accent;
        padding: 0 1;
        &:focus { background: $boost; }
    }
    """

    histogram: reactive[Histogram | None] = reactive(None, always_update=True)
    selected: reactive[int | None] = reactive(None)

    class Resized(Message):
        """The strip now holds ``slots`` buckets: count again at this width."""

        def __init__(self, slots: int) -> None:
            self.slots = slots
            super().__init__()

    class Zoom(Message):
        """Show only the events of ``[since, until)`` ms (a bucket)."""

        def __init__(self, since: int, until: int) -> None:
            self.since = since
            self.until = until
            super().__init__()

    @property
    def slots(self) -> int:
        return max(1, self.content_region.width)

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized(self.slots))

    def watch_histogram(self, old: Histogram | None, new: Histogram | None) -> None:
        if new is None or old is None or (new.start, new.step) != (old.start, old.step):
            self.selected = None

    def validate_selected(self, value: int | None) -> int | None:
        data = self.histogram
        if value is None or data is None or not data.buckets:
            return None
        return max(0, min(value, data.buckets - 1))

    def move(self, delta: int) -> None:
        """Select the bucket ``delta`` away (the first move starts from an end)."""
        data = self.histogram
        if data is None or not data.buckets:
            return
        if self.selected is None:
            self.selected = data.buckets - 1 if delta < 0 else 0
        else:
            self.selected = self.selected + delta

    def action_move(self, delta: int) -> None:
        self.move(delta)

    def action_zoom(self) -> None:
        data, index = self.histogram, self.selected
        if data is None or index is None:
            return
        since, until = data.bounds(index)
        self.post_message(self.Zoom(since, until))

    def on_click(self, event: events.Click) -> None:
        data = self.histogram
        x = event.x - self.styles.padding.left
        if data is not None and 0 <= x < data.buckets:
            self.selected = x
            self.action_zoom()

    def render(self) -> Text:
        data = self.histogram
        if data is None:
            return Text("")
        width = self.content_region.width
        text = Text(bars(data.counts), no_wrap=True)
        if self.selected is not None:
            text.stylize(Style(reverse=True), self.selected, self.selected + 1)
        text.append("\n")
        text.append_text(self._labels(data, width))
        return text

    def _labels(self, data: Histogram, width: int) -> Text:
        counts = data.counts
        first = when(data.start, data.step)
        edge = data.start + data.buckets * data.step
        last = when(min(edge, data.end) if data.end is not None else edge, data.step)
        if self.selected is not None:
            since, until = data.bounds(self.selected)
            middle = (
                f"{when(since, data.step)} → {when(until, data.step)}: "
                f"{thousands(int(counts[self.selected]))} events · enter zooms"
            )
        elif len(counts) and counts.max() > 0:
            peak = int(counts.argmax())
            middle = (
                f"busiest {when(data.bounds(peak)[0], data.step)}: {thousands(int(counts[peak]))}"
            )
        else:
            middle = "no matching events in this range"
        room = width - len(first) - len(last)
        text = Text(no_wrap=True)
        text.append(first, "dim")
        gap = max(1, room - len(middle))
        text.append(" " * (gap // 2))
        text.append(middle, "bold")
        text.append(" " * (gap - gap // 2))
        text.append(last, "dim")
        text.truncate(width)
        return text
