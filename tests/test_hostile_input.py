"""Issue 10, the loader's rows: one hostile record never drops the rest.

Row 1: a record that makes reading fail (whatever the exception) is skipped and reported with
its line number; row 8: a named pipe or ``<(cmd)`` is read once, as standard input is; row 11:
a line past the maximum length is skipped without being held in memory; row 13: a CSV row with
more cells than the header is skipped and reported. Each for the single-process loader, the
two worker processes, JSON arrays, CSV and the ``query`` prefilter where it applies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import audit_tui.sources.blocks as blocks
import audit_tui.sources.file as source_file
import audit_tui.sources.parallel as parallel
from audit_tui.commands.browse import browse_parser
from audit_tui.commands.browse import source_opener as browse_opener
from audit_tui.commands.common import parse_command
from audit_tui.commands.main import main
from audit_tui.query import Query
from audit_tui.sources.file import open_data, open_source
from audit_tui.store import Store

LINES = 60_000
DEEP_LINE = 30_001
PAD = "x" * 80  # makes the 60,000-line file big enough (> 8 MB) for the query prefilter


def event(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"e{i:06d}",
        "audited_at": 1_763_000_000_000 + i * 1000,
        "event_type": f"type {i % 5}",
        "actor": {"id": "usr_ada", "name": "ada", "email": "ada@example.com"},
        "metadata": {"pad": PAD},
        **extra,
    }


def deep_event(i: int, depth: int = 10_000) -> bytes:
    head = orjson.dumps(event(i))[:-1]
    return head + b',"nested":' + b"[" * depth + b"]" * depth + b"}"


@pytest.fixture(scope="module")
def deep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60,000 lines; line 30,001 is an event nested 10,000 deep."""
    path = tmp_path_factory.mktemp("deep") / "events.jsonl"
    lines = [
        deep_event(n) if n == DEEP_LINE else orjson.dumps(event(n)) for n in range(1, LINES + 1)
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert path.stat().st_size > 8 * 1024 * 1024
    return path


def loaded(store: Store) -> Store:
    assert store.wait(60), "loading did not finish"
    return store


@pytest.fixture
def closing() -> Iterator[list[Store]]:
    stores: list[Store] = []
    yield stores
    for store in stores:
        store.close()


# -- row 1: any per-record failure is a skipped record --------------------------------------


@pytest.mark.parametrize("path_kind", ["single", "parallel", "prefilter"])
def test_a_deep_record_in_the_middle_is_skipped_and_the_rest_loaded(
    deep_file: Path,
    path_kind: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(
        source_file, "PARALLEL_MIN_BYTES", 0 if path_kind == "parallel" else 1 << 40
    )
    argv = ["query", str(deep_file), "--count"]
    if path_kind == "prefilter":
        argv += ["--search", "ada"]  # every event holds it, the deep one too
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out == f"{LINES - 1}\n"
    assert err == f"audit-tui: skipped 1 invalid record: line {DEEP_LINE} nested too deeply\n"


def test_a_deep_item_of_a_json_array_is_skipped(closing: list[Store]) -> None:
    data = b"[" + b",".join([orjson.dumps(event(1)), deep_event(2), orjson.dumps(event(3))]) + b"]"
    store = loaded(open_data(data, "events.json"))
    closing.append(store)
    assert store.total == 2 and store.error is None
    assert [(s.line, s.unit, s.reason) for s in store.skipped] == [
        (2, "record", "nested too deeply")
    ]


def test_a_deep_item_of_an_envelope_is_skipped(closing: list[Store]) -> None:
    items = [orjson.dumps(event(1)), b'"\\ud800"', deep_event(3), orjson.dumps(event(4))]
    data = b'{"meta": {"data": 1}, "records": [\n' + b",\n".join(items) + b'\n], "next": null}'
    store = loaded(open_data(data, "cloudtrail.json"))
    closing.append(store)
    assert store.total == 2
    assert [(s.line, s.reason) for s in store.skipped] == [
        (2, "invalid JSON"),
        (3, "nested too deeply"),
    ]


def _boom_on(record_id: str) -> Any:
    real = blocks.normalise

    def normalise(rec: dict[str, Any], forced: str | None = None) -> dict[str, Any]:
        if rec.get("id") == record_id:
            raise KeyError("the reader has a bug")
        return real(rec, forced)

    return normalise


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv"])
def test_any_exception_while_reading_one_record_skips_only_that_record(
    kind: str, monkeypatch: pytest.MonkeyPatch, closing: list[Store]
) -> None:
    """Whatever a record makes the reader raise (here a KeyError of a buggy format reader),
    that record is skipped and named; the load goes on."""
    monkeypatch.setattr(blocks, "normalise", _boom_on("e000002"))
    # an actor id that is a number: not the native shape msgspec reads, so the slow path
    records = [event(i, actor={"id": i}) for i in (1, 2, 3)]
    if kind == "jsonl":
        data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    elif kind == "json":
        data = orjson.dumps(records)
    else:
        data = b"id,audited_at,event_type\n" + b"".join(
            f"{r['id']},{r['audited_at']},{r['event_type']}\n".encode() for r in records
        )
    store = loaded(open_data(data, f"events.{kind}"))
    closing.append(store)
    assert store.error is None
    line = 3 if kind == "csv" else 2
    assert [(s.line, s.reason) for s in store.skipped] == [(line, "unreadable (KeyError)")]


# -- row 8: a source that can be read only once ----------------------------------------------

ONE = orjson.dumps(event(7)) + b"\n"


def _fifo(tmp_path: Path, name: str = "events.jsonl", data: bytes = ONE) -> str:
    path = tmp_path / name
    os.mkfifo(path)

    def write() -> None:
        with open(path, "wb") as f:
            f.write(data)

    threading.Thread(target=write, daemon=True).start()
    return str(path)


needs_fifo = pytest.mark.skipif(sys.platform == "win32", reason="named pipes")


@needs_fifo
def test_query_reads_a_named_pipe_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _fifo(tmp_path)
    assert main(["query", path, "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    assert out.encode() == ONE and err == ""


@needs_fifo
def test_query_reads_a_process_substitution() -> None:
    line = ONE.decode().strip().replace("'", "")
    script = f"{sys.executable} -m audit_tui query <(printf '%s\\n' '{line}') --count"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "1\n", "")


@needs_fifo
def test_a_csv_named_pipe_is_read_as_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = b"id,audited_at,event_type\na,2026-11-10T10:00:00Z,x\nb,2026-11-10T10:00:01Z,y\n"
    path = _fifo(tmp_path, "events.csv", data)
    assert main(["query", path, "--count"]) == 0
    assert capsys.readouterr().out == "2\n"


@needs_fifo
def test_export_reads_a_named_pipe_once(tmp_path: Path) -> None:
    path = _fifo(tmp_path)
    out = tmp_path / "out.jsonl"
    assert main(["export", path, "-o", str(out)]) == 0
    assert out.read_bytes() == ONE


@needs_fifo
def test_the_browser_keeps_a_named_pipe_for_reload(tmp_path: Path) -> None:
    """The browser reopens its source on reload (r): a pipe is read once and kept."""
    path = _fifo(tmp_path)
    opener = browse_opener(parse_command(browse_parser(), [path]))
    for _ in range(2):
        store = loaded(opener())
        try:
            assert store.total == 1 and store.raw(0) == ONE.rstrip(b"\n")
        finally:
            store.close()


# -- row 11: a line past the maximum length ---------------------------------------------------

VALID = b"".join(orjson.dumps(event(i)) + b"\n" for i in range(1, 101))  # ~22 KB


def _nul_file(tmp_path: Path, size: int, after: bytes = b"") -> Path:
    """22 KB of valid lines, then NUL bytes up to ``size`` (sparse: nothing is written), then
    ``after``."""
    assert 20_000 < len(VALID) < 25_000
    path = tmp_path / "events.jsonl"
    with open(path, "wb") as f:
        f.write(VALID)
        f.truncate(size)
        f.seek(size)
        f.write(after)
    return path


def test_a_huge_nul_line_is_skipped_with_bounded_memory(
    tmp_path: Path, closing: list[Store]
) -> None:
    limit = 1024 * 1024
    path = _nul_file(tmp_path, 64 * limit)
    tracemalloc.start()
    try:
        store = loaded(open_source(str(path), workers=1, max_line=limit))
        closing.append(store)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert store.total == 100 and store.error is None
    assert [(s.line, s.reason) for s in store.skipped] == [(101, "longer than 1,048,576 bytes")]
    assert peak < 6 * limit  # a block and a line at most, never the 64 MiB line


@pytest.mark.parametrize("where", ["first half", "second half"])
def test_the_two_workers_skip_a_long_line_and_number_the_rest(
    tmp_path: Path, where: str, monkeypatch: pytest.MonkeyPatch, closing: list[Store]
) -> None:
    """A line longer than the limit and than a worker's block, in the half read forwards or
    in the one read backwards; the lines after it keep their numbers."""
    monkeypatch.setattr(source_file, "PARALLEL_MIN_BYTES", 0)
    limit = 10_000
    long_line = b'{"x":"' + b"\x00" * 300_000 + b'"}\n'  # longer than a worker's first block
    tail = b"".join(orjson.dumps(event(i)) + b"\n" for i in range(101, 2101))
    if where == "first half":
        content, long_no = VALID + long_line + tail + tail, 101
    else:
        content, long_no = VALID + tail + long_line + VALID[:-1], 2101
    path = tmp_path / "events.jsonl"
    path.write_bytes(content)
    store = loaded(open_source(str(path), workers=2, max_line=limit))
    closing.append(store)
    single = loaded(open_source(str(path), workers=1, max_line=limit))
    closing.append(single)
    assert store.error is None
    expected = len(content.splitlines()) - 1  # every line but the long one
    assert store.total == single.total == expected
    assert [(s.line, s.reason) for s in store.skipped] == [(long_no, "longer than 10,000 bytes")]
    assert [(s.line, s.reason) for s in single.skipped] == [(long_no, "longer than 10,000 bytes")]


def test_query_skips_a_line_past_64_mb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The default limit, through the command line (and the two workers: the file is past
    the size that starts them): 22 KB of events, then NULs past 64 MiB, then one more event."""
    path = _nul_file(tmp_path, 70 * 1024 * 1024, b"\n" + orjson.dumps(event(200)) + b"\n")
    assert main(["query", str(path), "--count"]) == 0
    out, err = capsys.readouterr()
    assert out == "101\n"
    assert err == "audit-tui: skipped 1 invalid record: line 101 longer than 67,108,864 bytes\n"


def test_the_prefilter_skips_a_long_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``query --search`` on a big file reads candidate lines only: a line past the limit is
    still skipped and reported with its line number."""
    filler = b"".join(orjson.dumps(event(i)) + b"\n" for i in range(1, 40_001))  # > 8 MB
    path = _nul_file(tmp_path, 70 * 1024 * 1024, b"\n" + filler)
    assert main(["query", str(path), "--search", "ada", "--count"]) == 0
    out, err = capsys.readouterr()
    assert out == "40100\n"
    assert err == "audit-tui: skipped 1 invalid record: line 101 longer than 67,108,864 bytes\n"


# -- row 13: a CSV row wider than its header --------------------------------------------------


def test_a_csv_row_with_more_cells_than_the_header_is_skipped_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(
        b"id,audited_at,event_type\n"
        b"a,2026-11-10T10:00:00Z,login\n"
        b"b,2026-11-10T10:00:01Z,login,ada@example.com,admin\n"
        b"c,2026-11-10T10:00:02Z,logout\n"
    )
    assert main(["query", str(path), "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    assert [orjson.loads(line)["id"] for line in out.splitlines()] == ["c", "a"]
    assert err == "audit-tui: skipped 1 invalid record: line 3 has 5 cells, the header 3\n"


def test_workers_keep_their_block_sizes() -> None:
    """The tests above that make a line longer than a worker's block rely on these sizes."""
    assert parallel.FIRST_BLOCK == 256 * 1024 and parallel.BLOCK >= parallel.FIRST_BLOCK


def test_query_sees_every_event_of_a_deep_file_count_and_search(deep_file: Path) -> None:
    store = loaded(open_source(str(deep_file), workers=1))
    try:
        assert store.total == LINES - 1
        assert store.count(Query(text="e030002")) == 1
    finally:
        store.close()


def test_a_csv_cell_past_the_csv_size_limit_skips_only_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(
        b"id,audited_at,event_type\n"
        b"a,2026-11-10T10:00:00Z,login\n"
        b"b,2026-11-10T10:00:01Z," + b"x" * 200_000 + b"\n"
        b"c,2026-11-10T10:00:02Z,logout\n"
    )
    assert main(["query", str(path), "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    assert [orjson.loads(line)["id"] for line in out.splitlines()] == ["c", "a"]
    assert err == (
        "audit-tui: skipped 1 invalid record: line 3 unreadable CSV "
        "(field larger than field limit (131072))\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--since", "2026-01-01T00:00:00+99:00"],
        ["--until", "2026-01-01T00:00:00-30:00"],
        ["--", "since:2026-01-01T00:00:00+99:00"],
    ],
)
def test_row9_an_offset_past_24_hours_is_a_usage_error(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10 row 9: exit 2 and one line naming the bad offset (was: unexpected error, 1)."""
    from audit_tui.commands.main import main

    assert main(["query", "--demo", "--count", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad time" in err and "offset" in err
