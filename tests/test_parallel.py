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
