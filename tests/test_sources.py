"""Local sources: every format, detection, invalid records with their line numbers, unreadable
sources, the raw record, and the parallel loader giving the same answers as the in-process one."""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

import audit_tui.sources.file as file_source
from audit_tui.query import Query
from audit_tui.sources.file import SourceError, open_source
from audit_tui.store import Skipped, Store, describe_skipped

BOM = b"\xef\xbb\xbf"

E1 = {
    "id": "evt_1",
    "audited_at": "2026-11-19T10:00:00.000Z",
    "event_type": "user.login",
    "resource": {"type": "session", "id": "ses_1", "name": "web session"},
    "organization": {"id": "org_1", "name": "Acme"},
    "workspace": {"id": "ws_prod", "name": "Production"},
    "actor": {"type": "user", "id": "usr_alice", "name": "Alice", "email": "alice@example.com"},
    "metadata": {"ip": "10.0.0.1", "user_agent": "Mozilla/5.0"},
}
E2 = {  # camelCase, bare strings, org level
    "id": "evt_2",
    "auditedAt": 1794996000,  # 2026-11-18T10:00:00Z in epoch seconds
    "eventType": "org.updated",
    "organization": "Acme",
    "workspace": None,
    "actor": "Bob",
    "metadata": {"change": {"field": "name", "from": "ACME", "to": "Acme"}},
}
E3 = {
    "id": "evt_3",
    "audited_at": "2026-11-17T12:00:00+02:00",
    "event_type": "api_key.created",
    "workspace": {"id": "ws_staging", "name": "Staging"},
    "actor": {"type": "api_key", "id": "key_9", "name": "deploy-bot"},
    "metadata": {"scopes": ["read", "write"], "note": "Zoë's key"},
}
EVENTS = [E1, E2, E3]
IDS = ["evt_1", "evt_2", "evt_3"]  # newest first
JSONL = b"".join(orjson.dumps(e) + b"\n" for e in EVENTS)


def ids(store: Store, now: Any = None) -> list[str]:
    return [store.row(int(p)).id for p in store.search(Query(), now).positions]


def check_events(store: Store, now: Any) -> None:
    """The three events are all there, read the same way whatever the format."""
    assert store.error is None, store.error
    assert store.skipped == []
    assert ids(store, now) == IDS
    rows = {store.row(p).id: store.row(p) for p in range(store.total)}
    assert rows["evt_1"].actor_email == "alice@example.com"
    assert rows["evt_1"].actor_name == "Alice"
    assert rows["evt_1"].workspace == "Production"
    assert rows["evt_2"].actor_name == "Bob"
    assert rows["evt_2"].workspace == ""
    assert rows["evt_2"].audited_at == 1794996000000
    assert rows["evt_3"].audited_at == 1794996000000 - 86_400_000  # 12:00+02:00 = 10:00Z
    facets = store.facets(Query(), now)
    assert {f.value: f.count for f in facets.actors} == {"usr_alice": 1, "Bob": 1, "key_9": 1}
    assert {f.value: f.count for f in facets.workspaces} == {"ws_prod": 1, "": 1, "ws_staging": 1}
    assert store.search(Query(text="zoë"), now).count == 1
    assert store.search(Query(text="mozilla"), now).count == 1
    assert store.search(Query(actors=["alice@example.com"]), now).count == 1
    assert store.search(Query(workspaces=["staging"]), now).count == 1


def test_e3_time() -> None:
    # 2026-11-17T12:00+02:00 is 2026-11-17T10:00Z, exactly one day before E2
    from audit_tui.model import parse_time

    assert parse_time(E3["audited_at"]) == 1794996000000 - 86_400_000


# -- formats -----------------------------------------------------------------------------


def _csv(rows: list[dict[str, str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


CSV_DOTTED = _csv(
    [
        {
            "id": "evt_1",
            "audited_at": "2026-11-19T10:00:00.000Z",
            "event_type": "user.login",
            "actor.type": "user",
            "actor.id": "usr_alice",
            "actor.name": "Alice",
            "actor.email": "alice@example.com",
            "workspace.id": "ws_prod",
            "workspace.name": "Production",
            "organization.name": "Acme",
            "metadata.ip": "10.0.0.1",
            "metadata.user_agent": "Mozilla/5.0",
            "metadata.note": "",
        },
        {
            "id": "evt_2",
            "audited_at": "1794996000",
            "event_type": "org.updated",
            "actor.type": "",
            "actor.id": "",
            "actor.name": "Bob",
            "actor.email": "",
            "workspace.id": "",
            "workspace.name": "",
            "organization.name": "Acme",
            "metadata.ip": "",
            "metadata.user_agent": "",
            "metadata.note": "",
        },
        {
            "id": "evt_3",
            "audited_at": "2026-11-17T12:00:00+02:00",
            "event_type": "api_key.created",
            "actor.type": "api_key",
            "actor.id": "key_9",
            "actor.name": "deploy-bot",
            "actor.email": "",
            "workspace.id": "ws_staging",
            "workspace.name": "Staging",
            "organization.name": "",
            "metadata.ip": "",
            "metadata.user_agent": "",
            "metadata.note": "Zoë's key",
        },
    ]
)
CSV_UNDERSCORE = _csv(
    [
        {
            "id": "evt_1",
            "audited_at": "2026-11-19T10:00:00.000Z",
            "event_type": "user.login",
            "actor_type": "user",
            "actor_id": "usr_alice",
            "actor_name": "Alice",
            "actor_email": "alice@example.com",
            "workspace_id": "ws_prod",
            "workspace_name": "Production",
            "organization": "Acme",
            "metadata": '{"ip":"10.0.0.1","user_agent":"Mozilla/5.0"}',
        },
        {
            "id": "evt_2",
            "audited_at": "1794996000",
            "event_type": "org.updated",
            "actor_type": "",
            "actor_id": "",
            "actor_name": "Bob",
            "actor_email": "",
            "workspace_id": "",
            "workspace_name": "",
            "organization": "Acme",
            "metadata": "",
        },
        {
            "id": "evt_3",
            "audited_at": "2026-11-17T12:00:00+02:00",
            "event_type": "api_key.created",
            "actor_type": "api_key",
            "actor_id": "key_9",
            "actor_name": "deploy-bot",
            "actor_email": "",
            "workspace_id": "ws_staging",
            "workspace_name": "Staging",
            "organization": "",
            "metadata": '{"note":"Zoë\'s key"}',
        },
    ]
)
CSV_JSON_CELLS = _csv(
    [
        {
            "id": "evt_1",
            "audited_at": "2026-11-19T10:00:00.000Z",
            "event_type": "user.login",
            "actor": orjson.dumps(E1["actor"]).decode(),
            "workspace": orjson.dumps(E1["workspace"]).decode(),
            "metadata": orjson.dumps(E1["metadata"]).decode(),
        },
        {
            "id": "evt_2",
            "audited_at": "1794996000",
            "event_type": "org.updated",
            "actor": "Bob",
            "workspace": "",
            "metadata": orjson.dumps(E2["metadata"]).decode(),
        },
        {
            "id": "evt_3",
            "audited_at": "2026-11-17T12:00:00+02:00",
            "event_type": "api_key.created",
            "actor": orjson.dumps(E3["actor"]).decode(),
            "workspace": orjson.dumps(E3["workspace"]).decode(),
            "metadata": orjson.dumps(E3["metadata"]).decode(),
        },
    ]
)

FORMATS: dict[str, tuple[str, bytes]] = {
    "jsonl": ("events.jsonl", JSONL),
    "ndjson": ("events.ndjson", JSONL),
    "jsonl-no-final-newline": ("events.jsonl", JSONL.rstrip(b"\n")),
    "jsonl-blank-lines": ("events.jsonl", b"\n\n" + JSONL.replace(b"\n", b"\n  \n\t\n") + b"\n\n"),
    "jsonl-crlf": ("events.jsonl", JSONL.replace(b"\n", b"\r\n") + b"\r\n"),
    "json-array": ("events.json", orjson.dumps(EVENTS)),
    "json-array-pretty": ("events.json", orjson.dumps(EVENTS, option=orjson.OPT_INDENT_2)),
    "json-data": ("events.json", orjson.dumps({"data": EVENTS, "has_more": False})),
    "json-items": ("events.json", orjson.dumps({"items": EVENTS})),
    "json-events": ("events.json", orjson.dumps({"events": EVENTS, "next": None})),
    "json-records": ("events.json", orjson.dumps({"records": EVENTS}, option=orjson.OPT_INDENT_2)),
    "json-holding-lines": ("events.json", JSONL),
    "json-holding-lines-crlf": ("events.json", JSONL.replace(b"\n", b"\r\n")),
    "csv-dotted": ("events.csv", CSV_DOTTED),
    "csv-underscore": ("events.csv", CSV_UNDERSCORE),
    "csv-json-cells": ("events.csv", CSV_JSON_CELLS),
    "csv-semicolon": ("events.csv", CSV_DOTTED.replace(b",", b";")),
    "csv-crlf": ("events.csv", CSV_DOTTED.replace(b"\n", b"\r\n")),
    # no extension, or one that says nothing: the content decides
    "sniff-jsonl": ("events", JSONL),
    "sniff-jsonl-txt": ("events.txt", JSONL),
    "sniff-jsonl-log": ("audit.log", JSONL),
    "sniff-array": ("events", orjson.dumps(EVENTS, option=orjson.OPT_INDENT_2)),
    "sniff-envelope": ("events", orjson.dumps({"data": EVENTS})),
    "sniff-pretty-envelope": (
        "events.dat",
        orjson.dumps({"events": EVENTS}, option=orjson.OPT_INDENT_2),
    ),
    "sniff-csv": ("events", CSV_DOTTED),
    "sniff-tsv": ("events.tsv", CSV_DOTTED.replace(b",", b"\t")),
    # a UTF-8 byte order mark
    "bom-json-array": ("events.json", BOM + orjson.dumps(EVENTS)),
    "bom-json-holding-lines": ("events.json", BOM + JSONL),
    "bom-csv": ("events.csv", BOM + CSV_DOTTED),
    "bom-sniff-array": ("events", BOM + orjson.dumps(EVENTS)),
}


@pytest.mark.parametrize("name, data", FORMATS.values(), ids=list(FORMATS))
def test_formats(open_store, fixed_now, name: str, data: bytes) -> None:
    check_events(open_store(data, name=name), fixed_now)


@pytest.mark.parametrize("name, data", FORMATS.values(), ids=list(FORMATS))
def test_gzipped_formats(open_store, fixed_now, name: str, data: bytes) -> None:
    check_events(open_store(gzip.compress(data), name=name + ".gz"), fixed_now)


@pytest.mark.parametrize(
    "name, data",
    [
        ("events.gz", gzip.compress(JSONL)),  # .gz alone: the content decides
        ("events.gz", gzip.compress(CSV_DOTTED)),
        ("audit.2026.11.gz", gzip.compress(orjson.dumps(EVENTS))),
        ("events.jsonl", gzip.compress(JSONL)),  # gzip magic without .gz
        ("events", gzip.compress(JSONL)),
    ],
)
def test_gzip_detection(open_store, fixed_now, name: str, data: bytes) -> None:
    check_events(open_store(data, name=name), fixed_now)


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


@pytest.mark.parametrize(
    "data",
    [
        JSONL,
        orjson.dumps(EVENTS),
        orjson.dumps({"items": EVENTS}),
        CSV_DOTTED,
        gzip.compress(JSONL),
        BOM + JSONL,
    ],
    ids=["jsonl", "json-array", "json-envelope", "csv", "gzip", "bom"],
)
def test_stdin(monkeypatch: pytest.MonkeyPatch, fixed_now, data: bytes) -> None:
    _stdin(monkeypatch, data)
    store = open_source("-", now=fixed_now)
    try:
        assert store.wait(30)
        assert store.label == "stdin"
        check_events(store, fixed_now)
    finally:
        store.close()


def test_format_names(open_store) -> None:
    assert open_store(JSONL, name="a.jsonl").format_name == "JSON lines"
    assert open_store(orjson.dumps(EVENTS), name="a.json").format_name == "JSON"
    assert open_store(CSV_DOTTED, name="a.csv").format_name == "CSV"


def test_single_object_json(open_store, fixed_now) -> None:
    store = open_store(orjson.dumps(E1, option=orjson.OPT_INDENT_2), name="one.json")
    assert ids(store, fixed_now) == ["evt_1"]
    store = open_store(orjson.dumps(E1, option=orjson.OPT_INDENT_2), name="one")
    assert ids(store, fixed_now) == ["evt_1"]


def test_envelope_that_is_not_a_list_is_one_record(open_store) -> None:
    store = open_store(
        orjson.dumps({"data": {"x": 1}, "audited_at": "2026-11-19", "event_type": "x"}),
        name="a.json",
    )
    assert store.total == 1


def test_csv_row_keeps_nested_fields(open_store, fixed_now) -> None:
    """What the table and the detail view read for CSV: the nested record, not flat headers."""
    for data in (CSV_DOTTED, CSV_UNDERSCORE, CSV_JSON_CELLS):
        store = open_store(data, name="events.csv")
        pos = ids(store, fixed_now).index("evt_1")
        record = store.record(pos)
        assert record["actor"]["email"] == "alice@example.com"
        assert record["workspace"]["id"] == "ws_prod"
        assert record["metadata"]["ip"] == "10.0.0.1"
        assert store.row(pos).actor_id == "usr_alice"


def test_csv_text_search_is_values_only(open_store, fixed_now) -> None:
    for data in (CSV_DOTTED, CSV_UNDERSCORE, CSV_JSON_CELLS):
        store = open_store(data, name="events.csv")
        for key in ("user_agent", "actor_email", "actor.email", "ip", "metadata"):
            assert store.search(Query(text=key), fixed_now).count == 0, key
        assert store.search(Query(text="10.0.0.1"), fixed_now).count == 1


def test_csv_header_only_is_empty(open_store) -> None:
    store = open_store(b"audited_at,event_type\n", name="events.csv")
    assert store.total == 0 and store.skipped == [] and store.error is None


def test_empty_jsonl_is_empty(open_store) -> None:
    store = open_store(b"", name="events.jsonl")
    assert store.total == 0 and store.skipped == [] and store.error is None
    store = open_store(b"\n\n  \n", name="events.jsonl")
    assert store.total == 0 and store.skipped == []


# -- invalid records ------------------------------------------------------------------------

BAD_JSONL_LINES: list[tuple[bytes, str | None]] = [
    (orjson.dumps(E1), None),
    (b'{"id":"x","audited_at":', "invalid JSON"),
    (b"", None),
    (b"[1,2]", "not an object"),
    (b'"just a string"', "not an object"),
    (b'{"id":"x","event_type":"x"}', "no audited_at"),
    (b'{"id":"x","audited_at":"garbage","event_type":"x"}', "invalid audited_at"),
    (b'{"id":"x","audited_at":"2026-11-19"}', "no event_type"),
    (b'{"id":"x","audited_at":"2026-11-19","event_type":""}', "no event_type"),
    (b"   \t", None),
    (orjson.dumps(E2), None),
    (b'{"id":"x","audited_at":null,"event_type":"x"}', "no audited_at"),
    (b'{"id":"x","audited_at":true,"event_type":"x"}', "invalid audited_at"),
    (b'{"id":"x","audited_at":1e30,"event_type":"x"}', "invalid audited_at"),
    (b'{"id":"x","audited_at":"2026-11-19","event_type":{"a":1}}', "invalid event_type"),
    (b"null", "not an object"),
    (b"42", "not an object"),
    (b"{bad json}", "invalid JSON"),
    (b"\xff\xfe garbage", "invalid JSON"),
    (orjson.dumps(E3), None),
]
EXPECTED_SKIPPED = [(i + 1, why) for i, (_, why) in enumerate(BAD_JSONL_LINES) if why]


def _bad_jsonl() -> bytes:
    return b"\n".join(line for line, _ in BAD_JSONL_LINES) + b"\n"


def skipped(store: Store) -> list[tuple[int, str]]:
    return [(s.line, s.reason) for s in store.skipped]


def test_invalid_lines_are_skipped_with_line_numbers(open_store, fixed_now) -> None:
    store = open_store(_bad_jsonl())
    assert store.error is None
    assert ids(store, fixed_now) == IDS  # every valid record loads
    assert skipped(store) == EXPECTED_SKIPPED
    assert {s.unit for s in store.skipped} == {"line"}
    assert store.skipped_count == len(EXPECTED_SKIPPED)
    assert describe_skipped(store.skipped) == (
        f"skipped {len(EXPECTED_SKIPPED)} invalid records: "
        + "; ".join(f"line {n} {why}" for n, why in EXPECTED_SKIPPED[:10])
        + f"; … and {len(EXPECTED_SKIPPED) - 10} more"
    )


@pytest.mark.parametrize("transform", ["crlf", "gzip", "json-ext", "sniffed", "bom"])
def test_invalid_lines_other_paths(open_store, fixed_now, monkeypatch, transform: str) -> None:
    data, name = _bad_jsonl(), "events.jsonl"
    if transform == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif transform == "gzip":
        data, name = gzip.compress(data), "events.jsonl.gz"
    elif transform == "json-ext":
        name = "events.json"
    elif transform == "sniffed":
        name = "events"
    elif transform == "bom":
        data, name = gzip.compress(BOM + data), "events.jsonl.gz"
    store = open_store(data, name=name)
    assert ids(store, fixed_now) == IDS
    assert skipped(store) == EXPECTED_SKIPPED


@pytest.mark.parametrize("gz", [False, True], ids=["file", "memory"])
def test_line_numbers_across_blocks(open_store, fixed_now, monkeypatch, gz: bool) -> None:
    """Small load blocks: line numbers are still absolute, every valid record loads."""
    monkeypatch.setattr(file_source, "MEMORY_BLOCK", 100)
    lines, expected, valid = [], [], []
    for i in range(300):
        if i % 7 == 3:
            lines.append(b'{"id":"bad' + str(i).encode())  # invalid JSON
            expected.append((i + 1, "invalid JSON"))
        elif i % 11 == 5:
            lines.append(b"")
        elif i % 13 == 6:
            lines.append(b'{"id":"n%d","event_type":"x"}' % i)
            expected.append((i + 1, "no audited_at"))
        else:
            pad = "x" * (i % 150)  # some lines longer than a block
            lines.append(
                orjson.dumps(
                    {
                        "id": f"e{i:03d}",
                        "audited_at": 1794996000 + i,
                        "event_type": "t",
                        "metadata": {"pad": pad},
                    }
                )
            )
            valid.append(f"e{i:03d}")
    data = b"\n".join(lines)
    store = open_store(
        gzip.compress(data) if gz else data, name="events.jsonl.gz" if gz else "events.jsonl"
    )
    assert skipped(store) == expected
    assert ids(store, fixed_now) == sorted(valid, reverse=True)
    assert [store.raw(p) for p in range(store.total)] == [
        lines[int(v[1:])] for v in sorted(valid, reverse=True)
    ]


def test_invalid_records_in_a_json_array(open_store, fixed_now, monkeypatch) -> None:
    records = [
        E1,
        "str",
        {"event_type": "x"},
        5,
        E2,
        {"audited_at": "nope", "event_type": "x"},
        None,
        E3,
        {"audited_at": 1},
    ]
    expected = [
        (2, "not an object"),
        (3, "no audited_at"),
        (4, "not an object"),
        (6, "invalid audited_at"),
        (7, "not an object"),
        (9, "no event_type"),
    ]
    for block in (20_000, 2):
        monkeypatch.setattr(file_source, "RECORD_BLOCK", block)
        for name, data in [
            ("a.json", orjson.dumps(records)),
            ("b.json", orjson.dumps({"data": records})),
        ]:
            store = open_store(data, name=name)
            assert ids(store, fixed_now) == IDS
            assert skipped(store) == expected
            assert {s.unit for s in store.skipped} == {"record"}
            assert describe_skipped(store.skipped).startswith(
                "skipped 6 invalid records: record 2 not an object; record 3 no audited_at; "
            )


def test_invalid_rows_in_a_csv(open_store, fixed_now, monkeypatch) -> None:
    data = (
        b"id,audited_at,event_type,actor.name,metadata.note\n"  # line 1
        b"a,2026-11-19T10:00:00Z,x,Al,\n"  # 2
        b"b,,x,Al,\n"  # 3: no audited_at
        b"\n"  # 4: blank, ignored
        b'c,2026-11-19T09:00:00Z,x,Al,"two\nlines"\n'  # 5-6: a quoted newline
        b"d,not a time,x,Al,\n"  # 7: invalid audited_at
        b"e,2026-11-19T08:00:00Z,,Al,\n"  # 8: no event_type
        b"f,2026-11-19T07:00:00Z,y,Bo,\n"  # 9
    )
    for block in (20_000, 2, 1):
        monkeypatch.setattr(file_source, "RECORD_BLOCK", block)
        store = open_store(data, name="events.csv")
        assert ids(store, fixed_now) == ["a", "c", "f"]
        assert skipped(store) == [
            (3, "no audited_at"),
            (7, "invalid audited_at"),
            (8, "no event_type"),
        ], block
        assert describe_skipped(store.skipped) == (
            "skipped 3 invalid records: line 3 no audited_at; line 7 invalid audited_at; line 8 no event_type"
        )


def test_describe_skipped() -> None:
    items = [
        Skipped(102, "invalid JSON"),
        Skipped(203, "invalid JSON"),
        Skipped(405, "not an object"),
        Skipped(506, "no audited_at"),
    ]
    assert describe_skipped(items) == (
        "skipped 4 invalid records: line 102 invalid JSON; line 203 invalid JSON; line 405 not an object; "
        "line 506 no audited_at"
    )
    assert (
        describe_skipped([Skipped(7, "no event_type")])
        == "skipped 1 invalid record: line 7 no event_type"
    )
    assert (
        describe_skipped([Skipped(3, "not an object", "record")])
        == "skipped 1 invalid record: record 3 not an object"
    )
    many = [Skipped(i, "invalid JSON") for i in range(1, 14)]
    text = describe_skipped(many)
    assert text.startswith("skipped 13 invalid records: line 1 invalid JSON; ")
    assert text.endswith("line 10 invalid JSON; … and 3 more")
    assert "\n" not in text


def test_numeric_string_times_on_the_fast_path(open_store, fixed_now) -> None:
    lines = [
        {"id": "ms", "audited_at": "1794110351600", "event_type": "x"},
        {"id": "s", "audited_at": "1794110351", "event_type": "x"},
        {"id": "ms-camel", "auditedAt": "1794110351600", "eventType": "x"},
    ]
    expected = {"ms": 1794110351600, "s": 1794110351000, "ms-camel": 1794110351600}
    as_array = open_store(orjson.dumps(lines), name="events.json")  # parse_time: right
    assert {as_array.row(p).id: as_array.row(p).audited_at for p in range(3)} == expected
    store = open_store(lines)
    assert {store.row(p).id: store.row(p).audited_at for p in range(3)} == expected
    assert store.search(Query(period="30d"), fixed_now).count == 3


# -- the raw record ------------------------------------------------------------------------

RAW_LINES = [
    b'{ "id" : "r1", "audited_at" : "2026-11-19T10:00:00Z", "event_type" : "x", "note": "spaced out" }',
    b'{"event_type":"x","id":"r2","audited_at":"2026-11-19T09:00:00Z","metadata":{"z":1,"a":[true,null,1.50,1e5]}}',
    b'{"id":"r3","audited_at":"2026-11-19T08:00:00Z","event_type":"x","note":"caf\\u00e9 \\"q\\" \\\\ \\/"}',
    '{"id":"r4","audited_at":"2026-11-19T07:00:00Z","event_type":"x","note":"Zoë ÉCOLE 日本 🙂"}'.encode(),
    b'{"id":"r5","audited_at":"2026-11-19T06:00:00Z","event_type":"x","dup":1,"dup":2}',
]


@pytest.mark.parametrize(
    "name, wrap",
    [
        ("events.jsonl", lambda d: d),
        ("events.jsonl.gz", gzip.compress),
        ("events.json", lambda d: d),
        ("events", lambda d: d),
    ],
)
def test_raw_is_unchanged(open_store, fixed_now, name: str, wrap) -> None:
    store = open_store(wrap(b"\n".join(RAW_LINES) + b"\n"), name=name)
    assert store.total == len(RAW_LINES)
    result = store.search(Query(), fixed_now)
    assert [store.raw(int(p)) for p in result.positions] == RAW_LINES
    assert store.row(0).id == "r1"
    assert store.record(2)["note"] == 'café "q" \\ /'
    assert store.search(Query(text="café"), fixed_now).count == 1
    assert store.search(Query(text="spaced"), fixed_now).count == 1
    assert store.search(Query(text="note"), fixed_now).count == 0


def test_raw_with_crlf_keeps_the_line(open_store, fixed_now) -> None:
    store = open_store(b"\r\n".join(RAW_LINES) + b"\r\n")
    raws = [store.raw(int(p)) for p in store.search(Query(), fixed_now).positions]
    assert [r.rstrip(b"\r") for r in raws] == RAW_LINES
    assert [store.row(p).id for p in range(store.total)] == ["r1", "r2", "r3", "r4", "r5"]


def test_bom_in_memory_is_not_part_of_the_record(open_store, fixed_now) -> None:
    store = open_store(gzip.compress(BOM + JSONL), name="events.jsonl.gz")
    assert store.raw(ids(store, fixed_now).index("evt_1")) == orjson.dumps(E1)


def test_bom_on_a_jsonl_file(open_store, fixed_now) -> None:
    store = open_store(BOM + JSONL, name="events.jsonl")
    check_events(store, fixed_now)
    assert store.raw(ids(store, fixed_now).index("evt_1")) == orjson.dumps(E1)


# -- unreadable sources -----------------------------------------------------------------------


def _source_error(path: str) -> str:
    with pytest.raises(SourceError) as info:
        store = open_source(path)
        store.close()
    message = str(info.value)
    assert "\n" not in message and message.strip() == message and message
    return message


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.jsonl")
    message = _source_error(path)
    assert message.startswith(path) and "no such file" in message


def test_directory(tmp_path: Path) -> None:
    message = _source_error(str(tmp_path))
    assert "folder" in message


@pytest.mark.skipif(
    sys.platform == "win32" or __import__("os").geteuid() == 0, reason="root reads anything"
)
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.jsonl"
    path.write_bytes(JSONL)
    path.chmod(0)
    assert "cannot read" in _source_error(str(path))


@pytest.mark.parametrize(
    "name, data, words",
    [
        ("garbage", bytes(range(256)) * 8, "binary"),
        ("garbage.bin", b"\x00\x01\x02\x03" * 100, "binary"),
        ("garbage.json", bytes(range(256)) * 8, "binary"),
        ("high-bytes.json", bytes(range(128, 256)) * 8, "not valid JSON"),
        ("garbage.csv", b"\x00,\x01\n\x02,\x03\n", "binary"),
        ("garbage.jsonl", b'{"a":1}\n' + bytes(range(256)) * 8, "binary"),
        ("utf16.jsonl", JSONL.decode().encode("utf-16"), "binary"),
        ("latin1.csv", "audited_at,event_type\n2026-11-19,caf\xe9\n".encode("latin-1"), "UTF-8"),
        ("empty.csv", b"", "empty CSV"),
        ("blank.csv", b"\n\n", "empty CSV"),
        ("broken.gz", b"\x1f\x8b" + b"not really gzip" * 10, "gzip"),
        ("truncated.jsonl.gz", gzip.compress(JSONL)[:-12], "gzip"),
        ("notes.txt", b"hello world\nthis is not an audit log\n", "unknown format"),
        ("broken.json", b'{"data": [1, 2,', "not valid JSON"),
        ("trailing-comma.json", b'{"data": [{"a": 1},]}', "not valid JSON"),
        ("scalar.json", b"42", "not events"),
        ("string.json", b'"hello"', "not events"),
        ("empty.json", b"", "not valid JSON"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 and "\x00" not in v else "",
)
def test_unreadable_format(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    message = _source_error(str(path))
    assert message.startswith(str(path))
    assert words in message


def test_stdin_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, bytes(range(256)) * 4)
    message = _source_error("-")
    assert message.startswith("stdin")


# -- the parallel loader ----------------------------------------------------------------------

PARALLEL_QUERIES = [
    Query(),
    Query(text="alpha"),
    Query(text="zoë"),
    Query(text="ÉCOLE"),
    Query(text="café"),
    Query(text='"q"'),
    Query(text="alpha beta"),
    Query(text="user_agent"),  # a key name only
    Query(text="1,2"),
    Query(period="30d"),
    Query(period="7d", text="login"),
    Query(actors=["u3", "name 5"]),
    Query(actors=["u1"], text="beta"),
    Query(event_types=["user.login", "key.created"], workspaces=["ws1", ""]),
    Query(since="2026-10-01", until="2026-10-31", text="a"),
]


def _parallel_data() -> bytes:
    types = ["user.login", "user.logout", "key.created", "workspace.updated"]
    words = ["alpha", "beta", "Zoë", "ÉCOLE", "gamma delta"]
    lines: list[bytes] = []
    for i in range(2400):
        if i % 331 == 17:
            lines.append(b'{"broken": ')
            continue
        if i % 409 == 3:
            lines.append(b"")
            continue
        if i % 503 == 8:
            lines.append(b'{"id":"noat%d","event_type":"x"}' % i)
            continue
        t = 1794996000 - (i * 7919 % 3000) * 3600  # spread over ~125 days, with ties
        ev: dict[str, Any] = {
            "id": f"e{i:05d}",
            "audited_at": t if i % 3 else f"{t}000",
            "event_type": types[i % 4],
            "actor": {"id": f"u{i % 9}", "name": f"Name {i % 9}", "email": f"u{i % 9}@example.com"}
            if i % 5
            else f"name {i % 7}",
            "workspace": {"id": f"ws{i % 3}", "name": f"Space {i % 3}"} if i % 4 else None,
            "metadata": {
                "user_agent": "Mozilla",
                "w": words[i % 5],
                "n": i,
                "p": 1,
                "q": 2,
                "pad": "x" * (i % 200),
            },
        }
        line = orjson.dumps(ev)
        if i % 97 == 0:
            line = line[:-1] + b',"esc":"caf\\u00e9 \\"q\\""}'
        if i % 89 == 0:
            line += b"\r"
        lines.append(line)
    return b"\n".join(lines) + b"\n"


def _answers(store: Store, now: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "total": store.total,
        "skipped": [(s.line, s.reason, s.unit) for s in store.skipped],
        "error": store.error,
    }
    for q in PARALLEL_QUERIES:
        result = store.search(q, now)
        key = q.summary() or "all"
        out[key] = [store.raw(int(p)) for p in result.positions]
        f = store.facets(q, now)
        out[key + " facets"] = {
            n: [(v.value, v.label, v.count) for v in f.get(n)]
            for n in ("actors", "event_types", "workspaces")
        }
        out[key + " first"] = store.first(q, 7, now).positions.tolist()
        assert out[key + " first"] == result.positions[:7].tolist()
    return out


@pytest.fixture(scope="module")
def parallel_pair(tmp_path_factory) -> Any:
    path = tmp_path_factory.mktemp("parallel") / "big.jsonl"
    path.write_bytes(_parallel_data())
    stores = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(file_source, "PARALLEL_MIN_BYTES", 1 << 62)
        local = open_source(str(path))
        stores.append(local)
        mp.setattr(file_source, "PARALLEL_MIN_BYTES", 0)
        sharded = open_source(str(path))
        stores.append(sharded)
    try:
        assert local.wait(60) and sharded.wait(60)
        yield local, sharded
    finally:
        for s in stores:
            s.close()


def test_parallel_path_is_used(parallel_pair) -> None:
    from audit_tui.sources.parallel import ShardedTextIndex

    local, sharded = parallel_pair
    assert isinstance(sharded.text, ShardedTextIndex)
    assert not isinstance(local.text, ShardedTextIndex)
    assert Path(sharded.label).stat().st_size > 512 * 1024  # several blocks per worker


def test_parallel_gives_the_same_answers(parallel_pair, fixed_now) -> None:
    local, sharded = parallel_pair
    a = _answers(local, fixed_now)
    b = _answers(sharded, fixed_now)
    assert a["error"] is None and b["error"] is None
    assert a["total"] > 2000 and len(a["skipped"]) > 10
    for key in a:
        assert a[key] == b[key], key
    assert a["all"] and a['"alpha"'] and a['"zoë"'] and a['""q""'] and a['"1,2"'] == []
    assert a['"user_agent"'] == []


def test_parallel_skipped_line_numbers(parallel_pair) -> None:
    data = _parallel_data().split(b"\n")
    expected = []
    for i, line in enumerate(data[:-1]):
        if line.startswith(b'{"broken'):
            expected.append((i + 1, "invalid JSON"))
        elif line.startswith(b'{"id":"noat'):
            expected.append((i + 1, "no audited_at"))
    _, sharded = parallel_pair
    assert [(s.line, s.reason) for s in sharded.skipped] == expected


PARALLEL_WHILE_LOADING = textwrap.dedent(
    """
    import sys
    import audit_tui.sources.file as F
    from audit_tui.query import Query
    F.PARALLEL_MIN_BYTES = 0
    path, expected = sys.argv[1], int(sys.argv[2])
    store = F.open_source(path)
    store.search(Query(text="alpha"))          # the browser searches while the file loads
    assert store.wait(30), "loading did not finish"
    assert store.error is None, store.error
    local = Query(text="alpha")
    got = store.search(local).count
    assert got == expected, (got, expected)
    store.close()
    print("OK")
    """
)


def test_parallel_text_search_while_loading(tmp_path: Path, parallel_pair, fixed_now) -> None:
    """A search while the workers are still loading must not read their pipes (the pump thread
    does): it used to get a 'block' message as its answer, lose blocks and break the store."""
    local, _ = parallel_pair
    path = tmp_path / "big.jsonl"
    path.write_bytes(_parallel_data())
    expected = local.search(Query(text="alpha"), fixed_now).count
    try:
        proc = subprocess.run(
            [sys.executable, "-c", PARALLEL_WHILE_LOADING, str(path), str(expected)],
            capture_output=True,
            text=True,
            timeout=40,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a search while loading hung")
    assert proc.returncode == 0 and proc.stdout.strip() == "OK", proc.stderr[-2000:]


def test_a_store_knows_what_opens_it_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the export manifest names as the source: told by the opener, never read back from
    the label shown to the user."""
    line = b'{"id":"a","audited_at":"2026-11-10T10:00:00Z","event_type":"x"}\n'
    path = tmp_path / "a.jsonl"
    path.write_bytes(line)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(line)))
    stores = [
        open_source(None),
        open_source(str(path)),
        open_source("-"),
        file_source.open_data(line, "piped"),
    ]
    try:
        assert [(s.label, s.source) for s in stores] == [
            ("sample data", ""),
            (str(path), str(path)),
            ("stdin", "-"),
            ("piped", None),
        ]
    finally:
        for s in stores:
            s.wait(60)
            s.close()
