"""The timeline: matches per time bucket under every filter, buckets that fit the width,
[ / ] to select a bucket, enter to zoom to it, backspace to zoom out, h to hide (issue 12)."""

from __future__ import annotations

import numpy as np

from audit_tui.query import Query
from audit_tui.sources.file import open_source
from audit_tui.store import time_buckets
from audit_tui.tui.widgets.timeline import Histogram, Timeline, bars, when

from .helpers import EVENTS, FIXED_NOW, browser, make_app, settle


def test_buckets_fit_the_width_from_minutes_to_months() -> None:
    hour = 3_600_000
    start, step, n = time_buckets(0, hour, 100)
    assert step == 60_000 and n == 60
    start, step, n = time_buckets(0, 90 * 24 * hour, 100)
    assert step == 24 * hour and n <= 100
    start, step, n = time_buckets(0, 3 * 365 * 24 * hour, 60)
    assert 15 * 24 * hour <= step <= 30 * 24 * hour and n == 60  # months would leave 40% empty
    # the buckets fill the strip (at least 90% of it) whatever the width, down to a minute
    day = 24 * hour
    for span in (2 * day, 10 * day, 120 * day, 400 * day):
        for width in (80, 120, 160, 200):
            start, step, n = time_buckets(5 * hour, 5 * hour + span, width)
            assert 0.9 * width <= n <= width, (span, width, n)
            assert start <= 5 * hour and start + n * step >= 5 * hour + span
            assert step % 60_000 == 0
    start, step, n = time_buckets(1_000, 5 * hour, 10)
    assert start <= 1_000 and start + n * step >= 5 * hour and n <= 10


def test_histogram_counts_the_matches_per_bucket() -> None:
    store = open_source(str(EVENTS))
    try:
        store.wait(10)
        span = store.time_span()
        assert span is not None
        start, step, n = time_buckets(span[0], span[1] + 1, 50)
        for query in (Query(), Query(event_types=frozenset({"Agent Created"})), Query(text="olga")):
            counts = store.histogram(query, start, step, n, FIXED_NOW)
            assert counts.sum() == store.count(query, FIXED_NOW)
            rows = store.rows(store.search(query, FIXED_NOW).positions)
            expected = np.bincount([(r.audited_at - start) // step for r in rows], minlength=n)
            assert counts.tolist() == expected.tolist()
    finally:
        store.close()


def test_bars_scale_to_the_busiest_and_never_hide_a_count() -> None:
    assert bars(np.array([0, 1, 100, 50])) == " ▁█▄"


async def test_the_strip_is_full_and_its_right_end_is_the_newest_event() -> None:
    for width in (160, 200):
        app = make_app()
        async with app.run_test(size=(width, 45)) as pilot:
            await settle(pilot)
            screen = browser(app)
            timeline = screen.query_one(Timeline)
            data = screen.histogram
            assert isinstance(data, Histogram) and screen.store is not None
            slots = timeline.content_region.width
            assert 0.9 * slots <= data.buckets <= slots
            newest = screen.store.time_span()[1]  # type: ignore[index]
            labels = str(timeline.render()).split("\n")[1]
            assert labels.rstrip().endswith(when(newest + 1, data.step))


async def test_timeline_follows_the_filters_and_zooms() -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen = browser(app)
        timeline = screen.query_one(Timeline)
        assert timeline.display
        data = screen.histogram
        assert isinstance(data, Histogram)
        assert int(data.counts.sum()) == screen.view.count == 240
        assert data.buckets <= timeline.content_region.width
        await pilot.press("e", "space", "escape")  # one event type
        await settle(pilot)
        data = screen.histogram
        assert data is not None and int(data.counts.sum()) == screen.view.count < 240
        before = screen.audit_query
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert timeline.has_focus and timeline.selected == data.buckets - 1
        busiest = int(data.counts.argmax())
        timeline.selected = busiest
        await pilot.press("enter")
        await settle(pilot)
        assert screen.audit_query.period == "custom"
        assert screen.view.count == int(data.counts[busiest])
        assert app.focused is screen.table
        await pilot.press("backspace")
        await settle(pilot)
        assert screen.audit_query == before


async def test_h_toggles_the_timeline_and_it_is_off_when_narrow() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        timeline = browser(app).query_one(Timeline)
        assert not timeline.display
        await pilot.press("h")
        await pilot.pause()
        assert timeline.display
        await pilot.press("h")
        await pilot.pause()
        assert not timeline.display
