"""Shared fixtures for the data-layer tests (model, query, store, sources).

Kept small on purpose: tests/tui/ and tests/test_sample.py have their own needs. Everything here
is a fixture (nothing to import), named so it does not collide with theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

FIXED_NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def fixed_now() -> datetime:
    """The "now" every data-layer test runs its queries against (never the wall clock)."""
    return FIXED_NOW


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """A native event; keyword arguments replace (or, given None, keep as null) its fields."""

    def make(
        id: str = "evt_1",
        audited_at: Any = "2026-11-19T10:00:00.000Z",
        event_type: str = "user.login",
        **fields: Any,
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": id,
            "audited_at": audited_at,
            "event_type": event_type,
            "resource": {"type": "session", "id": "ses_1", "name": "web session"},
            "organization": {"id": "org_1", "name": "Acme"},
            "workspace": {"id": "ws_prod", "name": "Production"},
            "actor": {
                "type": "user",
                "id": "usr_alice",
                "name": "Alice",
                "email": "alice@example.com",
            },
            "metadata": {},
        }
        record.update(fields)
        return record

    return make


@pytest.fixture
def open_store(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Write ``content`` (bytes, or a list of records / raw byte lines for JSON lines) to a file
    named ``name``, open it with ``open_source`` and wait for loading to finish. Every store
    opened this way is closed after the test."""
    from audit_tui.sources.file import open_source

    stores: list[Any] = []

    def opener(content: Any, name: str = "events.jsonl", **kwargs: Any) -> Any:
        if isinstance(content, list):
            content = b"".join(
                (item if isinstance(item, bytes) else orjson.dumps(item)) + b"\n"
                for item in content
            )
        path = tmp_path / name
        path.write_bytes(content)
        store = open_source(str(path), now=FIXED_NOW, **kwargs)
        stores.append(store)
        assert store.wait(60), "loading did not finish"
        return store

    yield opener
    for store in stores:
        store.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--storm",
        action="store_true",
        default=False,
        help="run the browser's key-storm test (tests/tui/test_storm.py) with many more examples",
    )
