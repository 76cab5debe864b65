"""The worker processes: a search process that dies is an error the user can act on, never a
hang or a wrong answer, and what is loaded stays usable."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import orjson
import pytest

import audit_tui.sources.file as source_file
from audit_tui.query import Query
from audit_tui.sources.parallel import SearchProcessError


def test_a_dead_search_process_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_file, "PARALLEL_MIN_BYTES", 0)
    path = tmp_path / "events.jsonl"
    events = [
        {
            "id": f"e{i}",
            "audited_at": 1_763_000_000_000 + i * 1000,
            "event_type": f"t{i % 3}",
            "actor": f"user-{i % 7}",
        }
        for i in range(2000)
    ]
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    store = source_file.open_source(str(path))
    try:
        assert store.wait(30)
        assert store.count(Query(text="user-3")) == sum(1 for e in events if e["actor"] == "user-3")
        procs = store.text.procs  # type: ignore[attr-defined]
        os.kill(procs[-1].pid, signal.SIGKILL)
        procs[-1].join(5)
        time.sleep(0.1)
        for text in ("user-4", "user-5"):  # and it stays reported, no stale answers
            with pytest.raises(SearchProcessError, match="reload the source"):
                store.search(Query(text=text))
        assert store.count(Query(event_types={"t1"})) == sum(
            1 for e in events if e["event_type"] == "t1"
        )
    finally:
        store.close()


def test_the_workers_idle_work_changes_no_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after loading the workers scan raw lines; in idle time they cut the keys out and
    keep each part's values once. They say when that is done, and every answer stays the
    same (counts of words in values, in keys only, several words, a first page)."""
    import random

    monkeypatch.setattr(source_file, "PARALLEL_MIN_BYTES", 0)
    rng = random.Random(5)
    path = tmp_path / "events.jsonl"
    events = [
        {
            "id": f"{rng.getrandbits(64):016x}",
            "audited_at": 1_763_000_000_000 + i * 1000,
            "event_type": rng.choice(["Agent Created", "Agent Deleted", "Key Rotated"]),
            "actor": {"email": f"user-{i % 7}@acme.io", "name": rng.choice(["Ada", "Olga K"])},
            "metadata": {"user_agent": rng.choice(["curl/8", "agent-sdk 1.2"]), "n": i % 13},
        }
        for i in range(30_000)
    ]
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    words = ["user-3", "agent", "user_agent", "olga k", "curl", "12", "deleted ada", "zzqx"]
    words.append(events[1234]["id"])
    store = source_file.open_source(str(path))
    try:
        assert store.wait(60)
        before = {w: store.count(Query(text=w)) for w in words}
        first = store.first(Query(text="olga"), 50).positions.tolist()
        deadline = time.monotonic() + 60
        while not store.text_settled and time.monotonic() < deadline:
            time.sleep(0.2)
            store.first(Query(text="a"), 1)  # an answer says whether the idle work is done
        assert store.text_settled
        store._text_cache = None
        assert {w: store.count(Query(text=w)) for w in words} == before
        store._text_cache = None
        assert store.first(Query(text="olga"), 50).positions.tolist() == first
    finally:
        store.close()
    assert before["user_agent"] == 0 and before["zzqx"] == 0
    assert before["user-3"] == sum(1 for i in range(30_000) if i % 7 == 3)
    assert before[events[1234]["id"]] == 1
