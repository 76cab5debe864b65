"""The timeline of a remote source (issue 14): the server counts the matches per time bucket
(the contract's optional ``/timeline`` endpoint), the browser draws them as it does a file's,
follows the filters and zooms; a server without the endpoint gets no strip. Against the real
server on 127.0.0.1: ``audit-tui serve``'s app over the fixture file, and over the same events
in chDB (``audit-tui chdb:PATH`` browses through it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from audit_tui.clickhouse.engine import ChdbEngine
from audit_tui.clickhouse.events import ClickHouseEvents
from audit_tui.clickhouse.load import load_store
from audit_tui.query import Query
from audit_tui.serve import AuditAPI, create_app, serve_in_thread
from audit_tui.sources.file import open_source
from audit_tui.store import time_buckets
from audit_tui.tui.widgets.timeline import Histogram, Timeline

from .helpers import EVENTS, FIXED_NOW
from .test_remote_browser import SIZE, TOKEN, Layer, make_remote, screen_of, settle


@pytest.fixture(scope="module")
def local() -> Iterator[Any]:
    """The fixture file in the local store: what the browser would draw from it."""
    s = open_source(str(EVENTS))
    assert s.wait(10)
    yield s
    s.close()


@pytest.fixture
def server(local: Any) -> Iterator[tuple[str, Layer]]:
    layer = Layer(create_app(AuditAPI(local, TOKEN)))
    with serve_in_thread(layer) as url:
        yield url, layer


def _expected(local: Any, query: Query, slots: int) -> tuple[int, int, list[int]]:
    """What the local browser would draw: the store's counts over its own buckets."""
    window = query.window(FIXED_NOW)
    span = local.time_span()
    since = window.since if window.since is not None else span[0]
    until = window.until if window.until is not None else span[1] + 1
    start, step, n = time_buckets(since, until, slots)
    return start, step, local.histogram(query, start, step, n, FIXED_NOW).tolist()


async def _follows_filters_and_zooms(app: Any, pilot: Any, local: Any) -> None:
    await settle(pilot)
    screen = screen_of(app)
    timeline = screen.query_one(Timeline)
    assert timeline.display
    data = screen.histogram
    assert isinstance(data, Histogram)
    slots = timeline.content_region.width
    start, step, counts = _expected(local, Query(), slots)
    assert (data.start, data.step, data.counts.tolist()) == (start, step, counts)
    assert int(data.counts.sum()) == 240 and 0.9 * slots <= data.buckets <= slots
    labels = str(timeline.render()).split("\n")
    assert labels[0].strip() and "busiest" in labels[1]
    # a filter: the server counts again, under it
    await pilot.press("e", "space", "escape")
    await settle(pilot)
    query = screen.audit_query
    assert query.event_types
    data = screen.histogram
    assert data is not None
    assert data.counts.tolist() == _expected(local, query, slots)[2]
    assert int(data.counts.sum()) == local.count(query, FIXED_NOW) < 240
    # zoom into the busiest bucket, then back out
    await pilot.press("left_square_bracket")
    await pilot.pause()
    busiest = int(np.argmax(data.counts))
    timeline.selected = busiest
    await pilot.press("enter")
    await settle(pilot)
    assert screen.audit_query.period == "custom"
    assert screen.view.count == int(data.counts[busiest])
    zoomed = screen.histogram
    assert zoomed is not None and int(zoomed.counts.sum()) == int(data.counts[busiest])
    await pilot.press("backspace")
    await settle(pilot)
    assert screen.audit_query == query


async def test_the_remote_timeline_is_the_servers_count(
    server: tuple[str, Layer], local: Any
) -> None:
    url, layer = server
    app = make_remote(url)
    async with app.run_test(size=(160, 45)) as pilot:
        await _follows_filters_and_zooms(app, pilot, local)
    asked = [dict(p) for path, p in layer.seen if path.endswith("/timeline")]
    assert asked and all(int(p["buckets"]) > 50 for p in asked)
    assert any("event_type" in p for p in asked)  # the filters go with it


async def test_no_timeline_endpoint_no_strip(server: tuple[str, Layer], local: Any) -> None:
    url, layer = server
    layer.no_timeline = True
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        assert not screen.query_one(Timeline).display and screen.histogram is None
        assert screen.view.count == 100  # the events are there all the same
        await pilot.press("h")
        await pilot.pause()
        assert not screen.query_one(Timeline).display
        assert any("no timeline" in str(n.message) for n in app._notifications)
        await pilot.press("e", "space", "escape")  # not asked again
        await settle(pilot)
    asked = [path for path, _ in layer.seen if path.endswith("/timeline")]
    assert len(asked) == 1


@pytest.fixture(scope="module")
def served_chdb(local: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    engine = ChdbEngine(str(tmp_path_factory.mktemp("chdb") / "audit.db"))
    load_store(local, engine, "audit_events")
    events = ClickHouseEvents(engine, "audit_events")
    with serve_in_thread(create_app(AuditAPI(events, TOKEN))) as url:
        yield url
    engine.close()


async def test_the_timeline_of_a_clickhouse_table_is_the_engines_count(
    served_chdb: str, local: Any
) -> None:
    """``audit-tui chdb:PATH`` browses through the contract served from the engine: the
    buckets are one GROUP BY there, the same as the local store's."""
    app = make_remote(served_chdb)
    async with app.run_test(size=(160, 45)) as pilot:
        await _follows_filters_and_zooms(app, pilot, local)
