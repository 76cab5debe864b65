"""Real audit logs written by other projects (tests/data/realdata, see its README): opening them
never crashes. Every record is loaded or skipped with a reason, whatever the loader makes of the
foreign shape, and an unreadable document is a SourceError with a one-line message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from audit_tui.query import Query
from audit_tui.sources.file import SourceError, open_source

HERE = Path(__file__).parent / "data" / "realdata"
SHARED = Path("/work/shared/realdata")
ENVELOPES = ("data", "items", "events", "records", "Records")

# file -> the records it holds by its README ("None": not readable as JSON or JSON lines)
FILES = {
    "azure-sentinel__Github_sample_logs.json": 63,
    "demisto__Okta_v2__get_logs_response.json": 2,
    "openai-openapi__list_audit_logs_example_response.json": None,
    "falco__alice_start_instances.json": 1,
    "falco__fal_01_003.json": 1,  # {"kind": 0}: one record, not an event
}


def record_count(data: bytes) -> int | None:
    """How many records a file holds, counted independently of the loader."""
    try:
        doc = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        lines = [line for line in data.splitlines() if line.strip()]
        try:
            for line in lines:
                orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        return len(lines)
    if isinstance(doc, list):
        return len(doc)
    if isinstance(doc, dict):
        for key in ENVELOPES:
            if isinstance(doc.get(key), list):
                return len(doc[key])
        return 1
    return 1


def check(path: Path, expected: int | None, now: Any) -> str:
    """Open ``path``: a SourceError, or a store where loaded + skipped = the records."""
    try:
        store = open_source(str(path), now=now)
    except SourceError as exc:
        message = str(exc)
        assert message and "\n" not in message and message.startswith(str(path))
        assert expected is None, f"{path.name}: {message}"
        return "source error"
    try:
        assert store.wait(60)
        assert store.error is None, store.error  # no exception escaped the loader
        loaded, skipped = store.total, len(store.skipped)
        if expected is not None:
            assert loaded + skipped == expected, (path.name, loaded, skipped, expected)
        for s in store.skipped:
            assert s.line >= 1 and s.reason and "\n" not in s.reason
        # whatever loaded can be shown, searched and counted
        result = store.search(Query(), now)
        assert result.count == loaded
        for p in result.positions.tolist():
            row = store.row(p)
            assert row.event_type
            assert isinstance(row.audited_at, int)
            assert store.raw(p)
        times = [store.row(p).audited_at for p in result.positions.tolist()]
        assert times == sorted(times, reverse=True)
        facets = store.facets(Query(), now)
        # event types partition the events; an actor or workspace value counts every event
        # it would select (ids, emails and names can be shared), so those may overlap
        assert sum(v.count for v in facets.event_types) == loaded
        for name in ("actors", "workspaces"):
            assert sum(v.count for v in facets.get(name)) >= loaded
        for word in ("a", "user", "create", "zzzz-not-there"):
            store.search(Query(text=word), now)
            store.first(Query(text=word), 5, now)
        return f"{loaded} loaded, {skipped} skipped"
    finally:
        store.close()


@pytest.mark.parametrize("name", sorted(FILES))
def test_realdata_fixture(name: str, fixed_now) -> None:
    path = HERE / name
    data = path.read_bytes()
    expected = FILES[name]
    if expected is not None:
        assert record_count(data) == expected  # the fixture is what its README says
    check(path, expected, fixed_now)


def test_fixture_readme_lists_every_file() -> None:
    readme = (HERE / "README.md").read_text()
    on_disk = {p.name for p in HERE.iterdir() if p.name != "README.md"}
    assert on_disk == set(FILES)
    for name in on_disk:
        assert f"`{name}`" in readme
    for word in ("license", "commit", "Apache-2.0", "MIT"):
        assert word.lower() in readme.lower()


def test_invalid_json_document_is_a_source_error() -> None:
    path = HERE / "openai-openapi__list_audit_logs_example_response.json"
    with pytest.raises(SourceError, match="not valid JSON"):
        open_source(str(path)).close()


def _shared_files() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(p for p in SHARED.rglob("*") if p.is_file() and p.name != "README.md")


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared real-data collection is not here")
def test_every_shared_realdata_file(fixed_now) -> None:
    """The whole shared collection (~80 files, 1.2 MB): no crash, nothing lost."""
    outcomes = {}
    for path in _shared_files():
        outcomes[str(path.relative_to(SHARED))] = check(
            path, record_count(path.read_bytes()), fixed_now
        )
    assert len(outcomes) > 50
    assert sum(1 for o in outcomes.values() if o == "source error") <= 1  # the OpenAI example
