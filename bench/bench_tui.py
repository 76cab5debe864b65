"""How fast the browser feels at scale: driven by Textual's Pilot, headless, on one file.

    python bench/bench_tui.py bench/out/events-1000000-42.jsonl [--word terraform] [--size 160x45]

Prints (seconds from the start, i.e. from the moment the source is opened):
  first rows visible   the table shows its first events (while the rest still loads)
  fully usable         loading done, final results and facet counts shown
and after loading:
  search, first page   last key of a search typed -> its first page on screen
  search, full count   last key -> the exact count and facet counts shown
  facet tick           space on a filter value -> table and counts updated
  page down / G / g    key -> the table repainted (average and worst)
  event-loop stall     the longest the UI could not react while loading (a timer's lateness)

It never asserts: numbers only (timed asserts belong nowhere near a test suite).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from audit_tui.query import Query
from audit_tui.sources.file import open_source
from audit_tui.tui.app import AuditApp
from audit_tui.tui.widgets.event_table import EventTable

NOW = datetime.now(UTC)


class Frames:
    """Notes when the screen finishes drawing a frame at which a condition holds (a wrapper on
    the compositor's refresh): the moment the user sees the result."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.condition: Any = None
        self.seen: float | None = None

    def attach(self, screen: Any) -> None:
        original = screen._compositor_refresh

        def refresh() -> None:
            original()
            now = time.perf_counter()
            self.times.append(now)
            if self.seen is None and self.condition is not None and self.condition():
                self.seen = now

        screen._compositor_refresh = refresh

    async def shown(self, condition: Any, timeout: float = 120.0) -> float:
        """Wait for the first frame drawn while ``condition()`` holds; return its end time."""
        self.condition, self.seen = condition, None
        deadline = time.perf_counter() + timeout
        while self.seen is None:
            if time.perf_counter() > deadline:
                raise TimeoutError("condition never shown")
            await asyncio.sleep(0.002)
        self.condition = None
        return self.seen


async def wait_until(pilot: Any, condition: Any, timeout: float = 120.0) -> float:
    """Poll ``condition`` (every 5 ms); return when it first held (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        await asyncio.sleep(0.005)
    raise TimeoutError("condition not reached")


def changed(table: EventTable) -> Any:
    """A condition: the table's cursor or scroll position differs from now."""
    state = (table.cursor, table.scroll_offset.y)
    return lambda: (table.cursor, table.scroll_offset.y) != state


def idle(app: Any) -> bool:
    return not any(w.is_running for w in app.workers)


async def run(path: str, word: str, size: tuple[int, int]) -> dict[str, float]:
    out: dict[str, float] = {}
    frames = Frames()
    start = time.perf_counter()
    store = open_source(path)
    app = AuditApp(
        lambda: open_source(path), Query(), now=lambda: NOW, store=store, native_clipboard=False
    )
    lateness: list[float] = []

    async with app.run_test(size=size) as pilot:
        screen = app.browser
        assert screen is not None
        frames.attach(screen)
        table = screen.query_one(EventTable)
        out["app ready (screen mounted)"] = time.perf_counter() - start

        # how late a 20 ms timer fires while loading: the UI's worst stall
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            lateness.append(now - last[0] - 0.02)
            last[0] = now

        timer = app.set_interval(0.02, tick)

        t = await frames.shown(lambda: table.view.count > 0)
        out["first rows visible"] = t - start
        t = await frames.shown(lambda: screen.done and table.view.count == store.total)
        out["fully usable"] = t - start
        timer.stop()
        out["events"] = store.total
        out["UI stall while loading (max)"] = max(lateness) if lateness else 0.0
        await pilot.pause(0.5)

        # search: typed with a typist's rhythm, timed from the last key
        await pilot.press("slash")
        for ch in word[:-1]:
            await pilot.press(ch)
            await asyncio.sleep(0.08)
        t_key = time.perf_counter()
        first = asyncio.ensure_future(frames.shown(lambda: table.view.query.text == word))
        await pilot.press(word[-1])
        out["search: last key -> first page"] = await first - t_key
        t = await frames.shown(lambda: table.view.query.text == word and table.view.complete)
        out["search: last key -> full count"] = t - t_key
        out["search matches"] = table.view.count
        await pilot.press("escape")

        # facet tick: the first event type
        await pilot.press("e")
        before = table.view
        t0 = time.perf_counter()
        ticked = asyncio.ensure_future(
            frames.shown(lambda: table.view is not before and table.view.complete)
        )
        await pilot.press("space")
        out["facet tick -> table and counts"] = await ticked - t0
        await pilot.press("X")
        await wait_until(pilot, lambda: table.view.query == Query() and idle(app))

        # move around a million rows: key -> the frame that shows it
        table.focus()
        await pilot.pause()
        timings = []
        for key in ["pagedown"] * 20 + ["G", "pageup", "g", "end", "home", "j", "k"] * 3:
            t0 = time.perf_counter()
            moved = asyncio.ensure_future(frames.shown(changed(table)))
            await pilot.press(key)
            try:
                timings.append(await asyncio.wait_for(moved, 5) - t0)
            except TimeoutError:
                pass  # the key changed nothing (already at the top or bottom)
        out["table key -> frame (avg)"] = statistics.mean(timings)
        out["table key -> frame (max)"] = max(timings)
    store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--word", default="terraform")
    parser.add_argument("--size", default="160x45")
    args = parser.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    results = asyncio.run(run(args.path, args.word, (w, h)))
    print(f"bench_tui  {args.path}  ({args.size})")
    for name, value in results.items():
        if name in ("events", "search matches"):
            print(f"  {name:34s} {int(value):>12,}")
        else:
            print(f"  {name:34s} {value * 1000:>9.0f} ms")


if __name__ == "__main__":
    main()
