"""Labels that never mislead: same-text facet values told apart, filters named by label in
the status line, command-line values ticked in their panel (issue 12)."""

from __future__ import annotations

from typing import Any

from audit_tui.query import Query
from audit_tui.store import FacetValue
from audit_tui.tui.widgets.filters import FacetPanel, middle, prompts
from audit_tui.tui.widgets.status import StatusBar

from .helpers import browser, make_app, settle


def test_middle_keeps_both_ends() -> None:
    assert middle("homer.simpson@springfield.gov", 15) == "homer.s…eld.gov"
    assert middle("short", 15) == "short"


def test_same_labels_show_their_ids_at_any_width() -> None:
    values = [
        FacetValue(f"key_{n}_backend", "backend service", 10 - n, "api_key") for n in range(4)
    ]
    for width in (24, 30, 40):
        texts = [t.plain for t in prompts(values, values, width)]
        assert len(set(texts)) == 4, texts
        assert all("backend" in t for t in texts)


def test_labels_cut_to_the_same_text_are_cut_in_the_middle() -> None:
    values = [
        FacetValue("1", "Homer Simpson <homer.simpson@springfield.gov>", 5),
        FacetValue("2", "Homer Simpson <homer.simpson@shelbyville.gov>", 4),
    ]
    texts = [t.plain for t in prompts(values, values, 30)]
    assert texts[0] != texts[1]


async def test_command_line_actor_is_ticked_and_not_counted_twice() -> None:
    app = make_app(query=Query(actors=frozenset({"jon.park@acme.com"})))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one("#facet-actors", FacetPanel)
        ticked = panel.options.selected
        assert ticked == ["usr_jon"]
        assert panel.border_subtitle.startswith("1 selected")
        index = next(
            i
            for i in range(panel.options.option_count)
            if panel.options.get_option_at_index(i).value == "usr_jon"
        )
        panel.focus_list()
        panel.options.highlighted = index
        await pilot.press("space")  # untick: the filter goes
        await settle(pilot)
        assert browser(app).audit_query.actors == frozenset()
        await pilot.press("space")  # tick again: one selection, not two
        await settle(pilot)
        assert browser(app).audit_query.actors == frozenset({"usr_jon"})
        assert panel.border_subtitle.startswith("1 selected")


async def test_status_line_names_filters_by_label() -> None:
    app = make_app(query=Query(actors=frozenset({"usr_jon"})))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        status: Any = app.screen.query_one(StatusBar)
        assert "actor: Jon Park <jon.park@acme.com>" in status.plain
        assert "usr_jon" not in status.plain
