"""Following a growing source: appended lines join the store (counts, facets, search, order)
exactly as if the whole file had been loaded, through partial lines, rotation and truncation,
with no event lost or read twice."""

from __future__ import annotations

import gzip
import os
import shutil
import threading
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from audit_tui.query import Query
from audit_tui.sources import file as source_file
from audit_tui.sources.file import open_source
from audit_tui.sources.follow import (
    FileFollower,
    FollowError,
    GzipFollower,
    follower_for,
    open_stream,
)
from audit_tui.store import Store

FIXED_NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)

ACTORS = [
    {"type": "user", "id": "usr_ada", "name": "Ada", "email": "ada@example.com"},
    {"type": "user", "id": "usr_bob", "name": "Bob", "email": "bob@example.com"},
    {"type": "api_key", "id": "key_ci", "name": "ci-bot"},
]
WORKSPACES = [{"id": "ws_prod", "name": "Production"}, {"id": "ws_dev", "name": "Dev"}, None]
TYPES = ["agent.created", "agent.deleted", "key.revoked", "user.login"]


def event(i: int, *, second: int | None = None, word: str = "") -> dict[str, Any]:
    """Event number ``i``: times rise with ``i`` (several share a second: ties)."""
    sec = i // 3 if second is None else second
    return {
        "id": f"evt_{i:05d}",
        "audited_at": f"2026-11-19T{10 + sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}Z",
        "event_type": TYPES[i % len(TYPES)],
        "resource": {"type": "agent", "id": f"agt_{i % 7}", "name": f"agent {i % 7}"},
        "organization": {"id": "org_1", "name": "Acme"},
        "workspace": WORKSPACES[i % len(WORKSPACES)],
        "actor": ACTORS[i % len(ACTORS)],
        "metadata": {"note": f"{word} number {i}".strip(), "ip": f"10.0.{i % 5}.{i % 11}"},
    }


def line(i: int, **kw: Any) -> bytes:
    return orjson.dumps(event(i, **kw)) + b"\n"


def lines(start: int, stop: int, **kw: Any) -> bytes:
    return b"".join(line(i, **kw) for i in range(start, stop))


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


@pytest.fixture
def stores() -> Iterator[list[Any]]:
    """Stores and followers opened by a test, closed after it."""
    opened: list[Any] = []
    yield opened
    for thing in reversed(opened):
        thing.close()


def load(path: Path | str, stores: list[Any], **kw: Any) -> Store:
    store = open_source(str(path), now=FIXED_NOW, **kw)
    stores.append(store)
    assert store.wait(60)
    return store


def follow(store: Store, stores: list[Any]) -> Any:
    follower = follower_for(store)
    stores.append(follower)
    return follower


QUERIES = [
    Query(),
    Query(text="ada"),
    Query(text="number 4"),
    Query(text="type:deleted OR actor:bob -workspace:dev"),
    Query(text="metadata.ip:10.0.3."),
    Query(actors=frozenset({"usr_bob"})),
    Query(event_types=frozenset({"key.revoked"}), workspaces=frozenset({"ws_prod"})),
    Query(period="1h"),
]


def ids(store: Store, positions: Any) -> list[str]:
    return [orjson.loads(store.raw(int(p)))["id"] for p in positions]


def assert_same(grown: Store, fresh: Store) -> None:
    """The grown store answers every query as a store loaded from the whole file does: the
    same events in the same order, the same facet counts, timeline and skipped records."""
    now = FIXED_NOW.replace(hour=10, minute=59)
    assert grown.total == fresh.total
    every = ids(grown, grown.search(Query(), now).positions)
    assert len(every) == len(set(every)), "an event was read twice"
    for q in QUERIES:
        a, b = grown.search(q, now), fresh.search(q, now)
        assert ids(grown, a.positions) == ids(fresh, b.positions), q
        assert grown.facets(q, now) == fresh.facets(q, now), q
        assert [ids(grown, grown.first(q, 5, now).positions)] == [
            ids(fresh, fresh.first(q, 5, now).positions)
        ], q
        span = fresh.time_span()
        assert span is not None
        assert (
            grown.histogram(q, span[0], 60_000, 90, now).tolist()
            == fresh.histogram(q, span[0], 60_000, 90, now).tolist()
        )
    assert [(s.line, s.reason) for s in grown.skipped] == [
        (s.line, s.reason) for s in fresh.skipped
    ]
    # every event's record reads back as written
    for p in range(grown.total):
        rec = orjson.loads(grown.raw(p))
        assert rec == event(int(rec["id"][4:]), second=rec_second(rec))


def rec_second(rec: dict[str, Any]) -> int:
    h, m, s = (int(x) for x in rec["audited_at"][11:19].split(":"))
    return (h - 10) * 3600 + m * 60 + s


def test_appended_lines_join_the_store_as_a_reload_would(tmp_path: Path, stores: list[Any]) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines(0, 60))
    store = load(path, stores)
    # searches that the growth must extend, not forget
    now = FIXED_NOW
    assert store.count(Query(text="ada"), now) == 20
    assert store.count(Query(text="type:deleted OR actor:bob"), now) > 0
    follower = follow(store, stores)
    assert follower.poll().events == 0
    append(path, lines(60, 100))
    arrival = follower.poll()
    assert (arrival.events, arrival.skipped) == (40, 0)
    append(path, b"not json\n" + lines(100, 103) + line(103, second=5))  # ties old ones
    arrival = follower.poll()
    assert (arrival.events, arrival.skipped) == (4, 1)
    assert store.grown == 44
    assert store.skipped[-1].line == 101 and store.skipped[-1].reason == "invalid JSON"
    assert_same(store, load(path, stores))


def test_a_half_written_line_waits_for_its_newline(tmp_path: Path, stores: list[Any]) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines(0, 10))
    store = load(path, stores)
    follower = follow(store, stores)
    whole = line(10)
    append(path, whole[:25])
    assert follower.poll().events == 0
    append(path, whole[25:-1])  # everything but the newline
    assert follower.poll().events == 0
    assert store.total == 10 and store.skipped == []
    append(path, b"\n" + line(11)[:5])
    assert follower.poll().events == 1
    append(path, line(11)[5:])
    assert follower.poll().events == 1
    assert_same(store, load(path, stores))


def test_a_line_loaded_half_written_is_read_once_it_ends(tmp_path: Path, stores: list[Any]) -> None:
    """Loaded while its writer was mid-line: that line was skipped as invalid; following
    forgets that and reads it whole."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines(0, 10) + line(10)[:30])
    store = load(path, stores)
    assert store.total == 10 and len(store.skipped) == 1
    follower = follow(store, stores)
    assert store.skipped == []
    append(path, line(10)[30:] + line(11))
    assert follower.poll().events == 2
    assert_same(store, load(path, stores))


def test_a_record_loaded_without_its_newline_is_not_read_twice(
    tmp_path: Path, stores: list[Any]
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines(0, 10) + line(10)[:-1])  # whole JSON, the newline not yet
    store = load(path, stores)
    assert store.total == 11
    follower = follow(store, stores)
    append(path, b"\n" + line(11))
    assert follower.poll().events == 1
    assert_same(store, load(path, stores))


def test_rotation_reads_the_old_file_to_its_end_then_the_new_one(
    tmp_path: Path, stores: list[Any]
) -> None:
    path = tmp_path / "app.jsonl"
    path.write_bytes(lines(0, 30))
    store = load(path, stores)
    follower = follow(store, stores)
    append(path, lines(30, 40))
    assert follower.poll().events == 10
    # logrotate `create`: renamed, a new file made; the writer writes to the old one a bit more
    path.rename(tmp_path / "app.jsonl.1")
    append(tmp_path / "app.jsonl.1", lines(40, 45) + line(45)[:20])
    path.write_bytes(lines(50, 60))
    arrival = follower.poll()
    assert arrival.events == 5 + 10
    assert any("rotated" in n for n in arrival.notes)
    append(tmp_path / "app.jsonl.1", line(45)[20:])  # the old writer finishes its line
    append(path, lines(60, 65))
    assert follower.poll().events == 6
    both = tmp_path / "both.jsonl"
    both.write_bytes((tmp_path / "app.jsonl.1").read_bytes() + path.read_bytes())
    assert_same(store, load(both, stores))


def test_rotation_while_nothing_followed_yet(tmp_path: Path, stores: list[Any]) -> None:
    """Rotated between loading and following: the old file's last lines and the new file are
    read."""
    path = tmp_path / "app.jsonl"
    path.write_bytes(lines(0, 20))
    store = load(path, stores)
    append(path, lines(20, 25))
    path.rename(tmp_path / "app.jsonl.1")
    path.write_bytes(lines(25, 30))
    follower = follow(store, stores)
    assert follower.poll().events == 10
    assert sorted(ids(store, store.search(Query()).positions)) == [
        f"evt_{i:05d}" for i in range(30)
    ]


def test_copytruncate_keeps_every_event_and_their_records(
    tmp_path: Path, stores: list[Any]
) -> None:
    path = tmp_path / "app.jsonl"
    path.write_bytes(lines(0, 30))
    store = load(path, stores)
    follower = follow(store, stores)
    append(path, lines(30, 40))
    assert follower.poll().events == 10
    append(path, lines(40, 44))  # written, not yet read, when logrotate copies
    shutil.copyfile(path, tmp_path / "app.jsonl.1")
    with open(path, "r+b") as f:
        f.truncate(0)
    append(path, lines(44, 47))
    arrival = follower.poll()
    assert arrival.events == 4 + 3
    assert any("truncated" in n and "app.jsonl.1" in n for n in arrival.notes)
    both = tmp_path / "both.jsonl"
    both.write_bytes((tmp_path / "app.jsonl.1").read_bytes() + path.read_bytes())
    assert_same(store, load(both, stores))


def test_truncated_and_written_past_where_reading_stopped(
    tmp_path: Path, stores: list[Any]
) -> None:
    """Cut and written again to more than was read before the next poll: the size never looks
    smaller, the changed bytes tell."""
    path = tmp_path / "app.jsonl"
    path.write_bytes(lines(0, 5))
    store = load(path, stores)
    follower = follow(store, stores)
    shutil.copyfile(path, tmp_path / "app.jsonl.1")
    path.write_bytes(lines(5, 30))  # truncates and writes (longer than before)
    arrival = follower.poll()
    assert arrival.events == 25
    assert any("truncated" in n for n in arrival.notes)
    both = tmp_path / "both.jsonl"
    both.write_bytes((tmp_path / "app.jsonl.1").read_bytes() + path.read_bytes())
    assert_same(store, load(both, stores))


def test_truncated_without_a_copy_keeps_the_events_and_says_their_records_are_gone(
    tmp_path: Path, stores: list[Any]
) -> None:
    path = tmp_path / "app.jsonl"
    path.write_bytes(lines(0, 12))
    store = load(path, stores)
    follower = follow(store, stores)
    with open(path, "r+b") as f:
        f.truncate(0)
    append(path, lines(12, 15))
    arrival = follower.poll()
    assert arrival.events == 3
    assert any("no rotated copy" in n and "12 events" in n for n in arrival.notes)
    assert store.total == 15
    now = FIXED_NOW
    assert store.count(Query(actors=frozenset({"usr_ada"})), now) == 5  # the index keeps them
    newest = orjson.loads(store.raw(0))
    assert newest == event(14)  # the new file's records read back
    oldest = orjson.loads(store.raw(14))
    assert oldest["event_type"] == event(0)["event_type"]
    assert oldest["actor"]["id"] == "usr_ada" and "gone" in oldest["audit_tui"]
    assert store.row(14).actor_name == "Ada"


def test_a_big_file_loaded_by_worker_processes_grows_too(
    tmp_path: Path, stores: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader's workers hold the texts loaded; new ones are searched in this process."""
    monkeypatch.setattr(source_file, "PARALLEL_MIN_BYTES", 0)
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines(0, 300))
    store = load(path, stores, workers=2)
    assert store.count(Query(text="bob"), FIXED_NOW) == 100
    follower = follow(store, stores)
    append(path, lines(300, 360))
    assert follower.poll().events == 60
    assert store.count(Query(text='"number 35"'), FIXED_NOW) == 11  # 35, 350…359
    monkeypatch.setattr(source_file, "PARALLEL_MIN_BYTES", 1 << 40)
    assert_same(store, load(path, stores, workers=1))


def test_a_gzip_file_grows_by_members_and_flushed_streams(
    tmp_path: Path, stores: list[Any]
) -> None:
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(lines(0, 20)))
    store = load(path, stores)
    follower = follow(store, stores)
    assert isinstance(follower, GzipFollower)
    append(path, gzip.compress(lines(20, 30)))  # `gzip -c >> events.jsonl.gz`
    assert follower.poll().events == 10
    writer = zlib.compressobj(wbits=31)  # a writer that flushes its open stream
    append(path, writer.compress(lines(30, 33) + line(33)[:10]) + writer.flush(zlib.Z_SYNC_FLUSH))
    assert follower.poll().events == 3
    append(path, writer.compress(line(33)[10:]) + writer.flush())
    assert follower.poll().events == 1
    assert sorted(ids(store, store.search(Query()).positions)) == [
        f"evt_{i:05d}" for i in range(34)
    ]
    assert_same(store, load(path, stores))


def test_a_pipe_is_followed_until_its_writer_closes_it(tmp_path: Path, stores: list[Any]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer: list[int] = []
    opened = threading.Thread(target=lambda: writer.append(os.open(fifo, os.O_WRONLY)))
    opened.start()
    reader = threading.Thread(target=lambda: result.append(open_stream(str(fifo))))
    result: list[Any] = []
    reader.start()
    opened.join(10)
    os.write(writer[0], lines(0, 10) + line(10)[:15])
    reader.join(10)
    store, follower = result[0]
    stores.extend([store, follower])
    assert store.wait(10) and store.total == 10
    os.write(writer[0], line(10)[15:] + lines(11, 14))
    arrival = follower.poll()
    while arrival.events < 4:  # (the bytes may take a moment to reach the pipe's reader)
        arrival.events += follower.poll().events
    os.write(writer[0], b"oops\n")
    os.close(writer[0])
    arrival = follower.poll()
    assert arrival.ended and arrival.skipped == 1
    assert sorted(ids(store, store.search(Query()).positions)) == [
        f"evt_{i:05d}" for i in range(14)
    ]
    assert [s.line for s in store.skipped] == [15]


def test_follow_says_clearly_when_it_cannot(tmp_path: Path, stores: list[Any]) -> None:
    csv = tmp_path / "events.csv"
    csv.write_text("audited_at,event_type\n2026-11-19T10:00:00Z,a\n")
    with pytest.raises(FollowError, match="only JSON lines"):
        follower_for(load(csv, stores))
    sample = open_source(None, now=FIXED_NOW)
    stores.append(sample)
    assert sample.wait(30)
    with pytest.raises(FollowError, match="sample does not grow"):
        follower_for(sample)


def test_a_file_follower_is_what_a_plain_file_gets(tmp_path: Path, stores: list[Any]) -> None:
    path = tmp_path / "events.log"  # no telling extension: the content says JSON lines
    path.write_bytes(lines(0, 3))
    follower = follow(load(path, stores), stores)
    assert isinstance(follower, FileFollower)
