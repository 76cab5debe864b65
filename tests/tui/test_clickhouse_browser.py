"""The browser on a ClickHouse table (issue 14): ``audit-tui chdb:PATH`` serves the audit API
from the engine on 127.0.0.1 and browses it with the remote screen, so the rows, the counts,
the facet lists and the search language are all answered by the real engine (chDB)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from audit_tui.clickhouse.engine import ChdbEngine
from audit_tui.clickhouse.events import ClickHouseEvents
from audit_tui.clickhouse.load import load_store
from audit_tui.commands.browse import browse_parser
from audit_tui.commands.engine_child import ChildError, served_in_child
from audit_tui.commands.main import main
from audit_tui.query import Query
from audit_tui.serve import AuditAPI, create_app, serve_in_thread
from audit_tui.sources.file import open_source

from .helpers import EVENTS, FIXED_NOW
from .test_remote_browser import (
    SIZE,
    TOKEN,
    make_remote,
    screen_of,
    settle,
    shown_ids,
    status,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    store = open_source(str(EVENTS))
    store.wait()
    engine = ChdbEngine(str(tmp_path_factory.mktemp("chdb") / "audit.db"))
    load_store(store, engine, "audit_events")
    events = ClickHouseEvents(engine, "audit_events")
    with serve_in_thread(create_app(AuditAPI(events, TOKEN))) as url:
        yield url, store
    store.close()
    engine.close()


def _ids(store: Any, query: Query) -> list[str]:
    return [store.record(int(p))["id"] for p in store.search(query, FIXED_NOW).positions]


async def test_the_screen_rows_counts_facets_and_search_come_from_the_engine(
    served: tuple[str, Any],
) -> None:
    url, store = served
    app = make_remote(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert status(app).startswith("240 events")
        assert shown_ids(app) == _ids(store, Query())[: len(shown_ids(app))]
        screen = screen_of(app)
        # the search language, answered by the engine
        screen.query_one("#search", Input).value = "type:revoked OR type:deleted -actor:terraform"
        await pilot.press("slash", "enter")
        await settle(pilot)
        query = Query(text="type:revoked OR type:deleted -actor:terraform")
        want = _ids(store, query)
        assert 0 < len(want) < 240
        assert status(app).startswith(f"{len(want)} events")
        assert shown_ids(app) == want
        # a facet: the counts the engine gives, then the filter
        facets = screen.facets
        assert facets is not None
        top = facets.get("actors")[0]
        local = {v.value: v.count for v in store.facets(query, FIXED_NOW).get("actors")}
        assert top.count == local[top.value]
        await pilot.press("escape", "a", "space")
        await settle(pilot)
        assert screen.audit_query.actors
        assert shown_ids(app) == _ids(store, screen.audit_query)


def test_a_clickhouse_source_opens_the_browser_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """``audit-tui chdb:PATH`` takes the ClickHouse path (not the file opener)."""
    import audit_tui.commands.browse as browse

    seen: list[Any] = []
    monkeypatch.setattr(browse, "run_clickhouse_browse", lambda args, q: seen.append(args) or 0)
    assert browse.run_browse(["chdb:/tmp/nowhere.db", "--search", "x"]) == 0
    assert seen and seen[0].source == "chdb:/tmp/nowhere.db"
    assert browse_parser().parse_args(["chdb:/x", "--table", "t"]).table == "t"


def test_chdb_is_served_by_a_child_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``audit-tui chdb:PATH`` runs the engine in an ``audit-tui serve`` child process (the
    browsing process never loads chDB): it answers with the table's events, with a token of
    its own, and ends when the browser is done; a table it cannot open is said as the child
    says it."""
    db = tmp_path / "audit.db"
    load = [sys.executable, "-m", "audit_tui", "load", str(EVENTS), "--into", f"chdb:{db}"]
    subprocess.run(load, check=True, capture_output=True)
    with served_in_child(f"chdb:{db}", "audit_events") as (url, token):
        monkeypatch.setenv("AUDIT_TUI_TOKEN", token)
        assert main(["query", url, "--count"]) == 0
        assert capsys.readouterr().out.strip() == "240"
        monkeypatch.setenv("AUDIT_TUI_TOKEN", "not-the-token")
        assert main(["query", url, "--count"]) != 0
    capsys.readouterr()
    monkeypatch.setenv("AUDIT_TUI_TOKEN", token)
    assert main(["query", url, "--count"]) != 0  # the child has ended
    with pytest.raises(ChildError, match="has no table nope"):
        with served_in_child(f"chdb:{db}", "nope"):
            pass
