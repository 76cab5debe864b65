"""The CSV export reads the index for what it holds and parses only ``metadata`` of a native
record (issue 18): its bytes are those of the row-by-row writer, whatever the records hold.
A source of several files adds the file and line of each event."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_tui import output
from audit_tui.commands.main import main
from audit_tui.csv_export import write_csv
from audit_tui.sources.file import open_source
from audit_tui.sources.multi import open_paths
from audit_tui.store import Store

K8S = Path(__file__).parent / "data" / "formats" / "k8s-audit" / "audit2rbac__demo.log"


def row_by_row(store: Store) -> str:
    """The CSV as the general writer makes it: each record read into its row."""
    out = io.StringIO(newline="")
    records = ((store.row(p), store.raw(p)) for p in range(store.total))
    output.write_csv_records(out, records)
    return out.getvalue()


def fast(store: Store, processes: int = 1) -> str:
    out = io.StringIO(newline="")
    write_csv(out, store, store.events_at(np.arange(store.total)), processes=processes)
    return out.getvalue()


ODD_RECORDS: list[bytes] = [
    b'{"id": 7, "audited_at": "2026-11-19T10:00:00Z", "event_type": "a", "actor": {"displayName": "Dee", "id": 42}}',
    b'{"id": "e2", "auditedAt": 1794110351600, "eventType": "b", "actor": "bare name", "workspace": "ws"}',
    b'{"id": "e3", "audited_at": "2026-11-19T10:00:01Z", "event_type": "=cmd|calc", "actor": {"name": "", "display_name": "-x"}, "metadata": null}',
    b'{"id": "e4", "audited_at": "2026-11-19T10:00:02Z", "event_type": "c", "metadata": {"n": 123456789012345678901234567890, "f": 1e400, "s": "\\u001b[31m"}}',
    b'{"id": "e5", "audited_at": "2026-11-19T10:00:03Z", "event_type": "d", "resource": {"type": "agent", "id": "a1", "name": "@bot"}, "organization": {"id": "o1"}, "metadata": {"deep": [[[{"x": [1, 2, {"y": null}]}]]]}}',
    b'{"id": null, "audited_at": "2026-11-19T10:00:04Z", "event_type": "e", "actor": ["a", "list"], "workspace": {"id": "w1", "name": null}, "metadata": "text"}',
    b'{"id": "e7", "audited_at": "2026-11-19T10:00:05Z", "event_type": "f", "metadata": {"k": "caf\\u00e9 \\ud83d\\ude00"}, "actor": {"name": "a", "name": "b"}}',
    b'{"id": "e8", "audited_at": "2026-11-19T10:00:06.123456789Z", "event_type": "g", "metadata": {"t": true, "f": false, "x": -0.0, "e": 1.5e-7}}',
]


def test_the_fast_csv_is_the_row_by_row_csv_on_odd_records(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b"\n".join(ODD_RECORDS) + b"\n")
    store = open_source(str(path))
    try:
        assert store.wait(30) and store.total == len(ODD_RECORDS)
        assert fast(store) == row_by_row(store)
    finally:
        store.close()


def test_the_fast_csv_is_the_row_by_row_csv_on_the_sample_and_foreign_records(
    tmp_path: Path,
) -> None:
    sample = open_source(None, demo=True)
    mixed_path = tmp_path / "mixed.jsonl"
    mixed_path.write_bytes(K8S.read_bytes() + b"\n".join(ODD_RECORDS) + b"\n")
    mixed = open_source(str(mixed_path))
    try:
        for store in (sample, mixed):
            assert store.wait(60)
            want = row_by_row(store)
            assert fast(store) == want
            assert fast(store, processes=2) == want  # batches made by forked processes
    finally:
        sample.close()
        mixed.close()


def test_a_source_of_several_files_adds_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = K8S.read_bytes().splitlines(keepends=True)
    (tmp_path / "=a.log").write_bytes(b"".join(lines[:5]))
    (tmp_path / "b.log").write_bytes(b"".join(lines[5:9]))
    out = tmp_path / "x.csv"
    monkeypatch.chdir(tmp_path)
    assert main(["export", "=a.log", "b.log", "-o", str(out), "--now=2026-12-01T00:00:00Z"]) == 0
    import csv

    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert rows[0][-2:] == ["file", "line"]
    got = sorted((r[-2], int(r[-1])) for r in rows[1:])
    # a file name starting with = is neutralised like any cell
    want = [("'=a.log", n) for n in range(1, 6)] + [("b.log", n) for n in range(1, 5)]
    assert got == sorted(want)
    # each row is the event on that line of that file
    for r in rows[1:]:
        name = r[-2].removeprefix("'")
        record = orjson.loads(Path(name).read_bytes().splitlines()[int(r[-1]) - 1])
        assert r[11] == record["auditID"]
    # query --format csv is the same writer
    capsys.readouterr()
    assert main(["query", str(tmp_path), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(",file,line")


def test_one_file_keeps_the_thirteen_columns(
    make_event: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "one.jsonl"
    path.write_bytes(orjson.dumps(make_event()) + b"\n")
    store = open_source(str(path))
    try:
        assert store.wait(30)
        assert fast(store).splitlines()[0] == ",".join(output.CSV_COLUMNS)
    finally:
        store.close()


def test_a_store_of_files_gives_the_same_rows_as_each_file(tmp_path: Path) -> None:
    lines = K8S.read_bytes().splitlines(keepends=True)
    (tmp_path / "a.log").write_bytes(b"".join(lines[:20]))
    (tmp_path / "b.log").write_bytes(b"".join(lines[20:]))
    several = open_paths([str(tmp_path)])
    whole = open_source(str(K8S))
    try:
        assert several.wait(30) and whole.wait(30)
        a = [line.rsplit(",", 2)[0] for line in fast(several).splitlines()[1:]]
        b = fast(whole).splitlines()[1:]
        assert sorted(a) == sorted(b)
    finally:
        several.close()
        whole.close()


@given(st.lists(st.lists(st.text(alphabet=st.characters(codec="utf-8")), max_size=14), max_size=8))
@settings(max_examples=300, deadline=None)
def test_csv_lines_are_what_the_csv_module_writes(rows: list[list[str]]) -> None:
    import csv

    want = io.StringIO(newline="")
    csv.writer(want, lineterminator="\r\n").writerows(rows)
    assert "".join(output.csv_line(cells) for cells in rows) == want.getvalue()


def test_csv_lines_quote_what_needs_it() -> None:
    import csv

    rows = [["a", 'b"c', "d,e", "f\rg", "h\ni", "", " j ", "'=k"], [""], ["", ""]]
    want = io.StringIO(newline="")
    csv.writer(want, lineterminator="\r\n").writerows(rows)
    assert "".join(output.csv_line(cells) for cells in rows) == want.getvalue()
