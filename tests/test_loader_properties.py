"""The loader against hostile lines (issue 10): a file of valid events interleaved with
arbitrary hostile lines loads exactly the valid events and reports exactly the others, with
their line numbers, in the single-process loader, the two worker processes and in memory.

Blocks are made small so that lines cross block boundaries and the long-line paths of both
readers (forwards and backwards) run; the line limit is small so long lines are cheap.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit_tui.sources.file as source_file
import audit_tui.sources.parallel as parallel
from audit_tui.sources.file import open_data, open_source
from audit_tui.store import Store

MAX_LINE = 2048


def _event(i: int, value: Any) -> bytes:
    head = orjson.dumps(
        {"id": f"ev{i}", "audited_at": 1_763_000_000_000 + i, "event_type": f"t{i % 3}"}
    )[:-1]
    return head + b',"metadata":{"v":' + value + b"}}"


# What a valid event may hold that is still readable (leniently: invalid UTF-8 in a string,
# a number beyond float range, a 100-digit integer, nesting within the limit).
readable_values = st.sampled_from(
    [
        b'"plain"',
        b'"caf\xc3\xa9"',
        b'"bad \xff\xfe utf-8"',
        b"1e400",
        b"9" * 100,
        b"[" * 500 + b"]" * 500,
        b'"\\ud83d\\ude00"',  # a surrogate pair is a character
        b'"\\u001b[31m"',
    ]
)

hostile_lines = st.one_of(
    st.integers(1025, 20_000).map(lambda d: b"[" * d + b"]" * d),
    st.integers(1025, 20_000).map(lambda d: _event(0, b"[" * d + b"]" * d)),
    st.sampled_from([b'"\\ud800"', b'"\\udc00x"', b'"a\\ud800\\u0041"']).map(
        lambda v: _event(0, v)
    ),
    st.integers(1, 300).map(lambda n: b"\x00" * n),
    st.sampled_from([b"[]", b"42", b'"text"', b"null", b"true", b"9" * 400, b"-1e999"]),
    st.sampled_from([b"\xff\xfe{", b"{\xff}", b"\xc3(", b"{", b'{"a":1}', b"}{"]),
    st.integers(MAX_LINE + 1, 3 * MAX_LINE).map(lambda n: _event(0, b'"' + b"x" * n + b'"')),
    st.integers(MAX_LINE + 1, 3 * MAX_LINE).map(lambda n: b"\x00" * n),
)

lines = st.lists(
    st.one_of(
        st.tuples(st.just("valid"), readable_values),
        st.tuples(st.just("hostile"), hostile_lines),
        st.tuples(st.just("blank"), st.sampled_from([b"", b"  ", b"\t"])),
    ),
    min_size=1,
    max_size=40,
)


def build(items: list[tuple[str, bytes]]) -> tuple[bytes, set[str], list[int]]:
    """The file, the ids of its valid events, the line numbers of its hostile lines."""
    out: list[bytes] = []
    ids: set[str] = set()
    bad: list[int] = []
    for n, (kind, value) in enumerate(items, start=1):
        if kind == "valid":
            out.append(_event(n, value))
            ids.add(f"ev{n}")
        else:
            out.append(value)
            if kind == "hostile":
                bad.append(n)
    # 4 KB of valid events first: a NUL byte in its first 4 KB makes a file binary, refused
    # whole (tests/test_sources.py)
    head = [_event(-i, b"0") for i in range(1, 61)]
    assert sum(len(h) + 1 for h in head) > 4096
    return (
        b"\n".join([*head, *out]) + b"\n",
        ids | {f"ev-{i}" for i in range(1, 61)},
        [n + len(head) for n in bad],
    )


def outcome(store: Store) -> tuple[set[str], list[int]]:
    assert store.wait(30), "loading did not finish"
    assert store.error is None
    ids = {store.record(p)["id"] for p in range(store.total)}
    skipped = store.skipped
    assert all(s.reason for s in skipped)
    return ids, [s.line for s in skipped]


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(items=lines)
def test_the_loaders_keep_exactly_the_valid_events(items: list[tuple[str, bytes]]) -> None:
    data, ids, bad = build(items)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(source_file, "PARALLEL_MIN_BYTES", 0)
        mp.setattr(source_file, "MEMORY_BLOCK", 512)
        mp.setattr(parallel, "FIRST_BLOCK", 256)
        mp.setattr(parallel, "BLOCK", 1024)
        fd, path = tempfile.mkstemp(suffix=".jsonl")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            for workers in (2, 1):  # the workers first: forked while no loader thread runs
                store = open_source(path, workers=workers, max_line=MAX_LINE)
                try:
                    assert outcome(store) == (ids, bad), f"{workers} loader(s)"
                finally:
                    store.close()
            store = open_data(data, "events.jsonl", max_line=MAX_LINE)
            try:
                assert outcome(store) == (ids, bad), "in memory"
            finally:
                store.close()
        finally:
            os.unlink(path)
