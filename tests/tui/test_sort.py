"""Sort by any column (issue 12): < and > move the sort to the next column, ~ reverses, a click
on a header sorts by it (again: reverses), the header marks it, and it stays across filters."""

from __future__ import annotations

from typing import Any

import pytest

from audit_tui.model import Row
from audit_tui.output import actor_label
from audit_tui.query import Query
from audit_tui.sources.file import open_source
from audit_tui.store import SortError

from .helpers import EVENTS, FIXED_NOW, browser, make_app, settle
from .test_browser import SIZE, expected, table


def _key(column: str, row: Row) -> str:
    return {
        "event_type": row.event_type,
        "actor": actor_label(row),
        "workspace": row.workspace,
        "resource": row.resource_name or row.resource_id,
        "organization": row.organization,
    }[column].casefold()


def _check_order(rows: list[Row], column: str, reverse: bool) -> None:
    keys = [_key(column, r) for r in rows]
    assert keys == sorted(keys, reverse=reverse)
    for a, b in zip(rows, rows[1:], strict=False):  # equal values: newest first
        if _key(column, a) == _key(column, b):
            assert a.audited_at >= b.audited_at


@pytest.mark.parametrize("column", ["event_type", "actor", "workspace", "resource", "organization"])
def test_store_sorts_the_matches_by_any_column(column: str) -> None:
    store = open_source(str(EVENTS))
    try:
        store.wait(10)
        for query in (Query(), Query(text="globex")):
            positions = store.search(query, FIXED_NOW).positions
            for reverse in (False, True):
                ordered = store.sort_positions(positions, column, reverse)
                assert sorted(ordered.tolist()) == sorted(positions.tolist())
                _check_order(store.rows(ordered), column, reverse)
        oldest = store.sort_positions(positions, "audited_at", True)
        times = [r.audited_at for r in store.rows(oldest)]
        assert times == sorted(times)
    finally:
        store.close()


def test_a_sort_that_would_read_too_many_rows_says_so(monkeypatch: Any) -> None:
    import audit_tui.store as store_mod

    monkeypatch.setattr(store_mod, "SORT_READ_LIMIT", 10)
    store = open_source(str(EVENTS))
    try:
        store.wait(10)
        positions = store.search(Query(), FIXED_NOW).positions
        with pytest.raises(SortError, match="narrow the view"):
            store.sort_positions(positions, "resource")
        store.sort_positions(positions, "actor")  # on the index: no limit
    finally:
        store.close()


def _rows(app: Any) -> list[Row]:
    t = table(app)
    return [t.row_at(i) for i in range(t.view.count)]  # type: ignore[misc]


async def test_keys_and_header_clicks_sort_and_the_sort_survives_filters() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("greater_than_sign")  # Event Type, A to Z
        await settle(pilot)
        assert browser(app).sort == ("event_type", False)
        _check_order(_rows(app), "event_type", False)
        header = "".join(s.text for s in table(app)._header(150))
        assert "Event Type ▲" in header
        await pilot.press("tilde")  # Z to A
        await settle(pilot)
        _check_order(_rows(app), "event_type", True)
        assert "Event Type ▼" in "".join(s.text for s in table(app)._header(150))
        # a click on the Actor header, then again: reversed
        t = table(app)
        plan = t.columns_at(t.scrollable_content_region.width)
        x = 1 + plan.time + sum(plan.gap + w for c, w in plan.columns if c.key != "actor") + 3
        await pilot.click(type(t), offset=(x, 0))
        await settle(pilot)
        assert browser(app).sort == ("actor", False)
        await pilot.click(type(t), offset=(x, 0))
        await settle(pilot)
        assert browser(app).sort == ("actor", True)
        _check_order(_rows(app), "actor", True)
        # a filter keeps the order
        await pilot.press("e", "space", "escape")
        await settle(pilot)
        query = browser(app).audit_query
        assert query.event_types and t.view.count == expected(query) < 240
        _check_order(_rows(app), "actor", True)
        # < back to the time column: newest first again, no mark
        await pilot.press(
            "less_than_sign", "less_than_sign", "less_than_sign", "less_than_sign", "less_than_sign"
        )
        await settle(pilot)
        assert browser(app).sort is None
        times = [r.audited_at for r in _rows(app)]
        assert times == sorted(times, reverse=True)
