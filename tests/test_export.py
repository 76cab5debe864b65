"""Export of a view (issue 5): the files, the manifest, safety, and the command line."""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from audit_tui import __version__, export, output
from audit_tui.commands.main import main
from audit_tui.export import (
    ExportError,
    ExportPlan,
    default_path,
    manifest_path_for,
    source_label,
    strip_url_credentials,
)
from audit_tui.query import Query
from audit_tui.sources.file import open_source

FORMULAS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]


def _events(make_event: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """Ten events an hour apart (oldest first in the file), half by Ada, with hostile names."""
    base = datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
    events = []
    for i in range(10):
        when = (base + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        actor = {"type": "user", "id": f"usr_{i}", "name": f"user {i}", "email": None}
        if i % 2 == 0:
            actor = {
                "type": "user",
                "id": "usr_ada",
                "name": "Ada Łovelace 日本",
                "email": "a@x.io",
            }
        events.append(
            make_event(
                id=f"evt_{i:02d}",
                audited_at=when,
                event_type="Agent Deleted" if i % 3 == 0 else "user.login",
                actor=actor,
                metadata={"n": i, "note": "café ☕"},
            )
        )
    return events


def _lines(events: list[dict[str, Any]]) -> list[bytes]:
    # spacing and \u escapes unlike orjson's output, so "unchanged" is tested for real
    return [json.dumps(e, ensure_ascii=True).encode() for e in events]


@pytest.fixture
def source(tmp_path: Path, make_event: Callable[..., dict[str, Any]]) -> Path:
    path = tmp_path / "src" / "events.jsonl"
    path.parent.mkdir()
    path.write_bytes(b"\n".join(_lines(_events(make_event))) + b"\n")
    return path


@pytest.fixture
def store(source: Path) -> Any:
    s = open_source(str(source))
    assert s.wait(30)
    yield s
    s.close()


def _plan(path: Path | None, fmt: str, query: Query, now: datetime, src: Any = "") -> ExportPlan:
    return ExportPlan(path=path, fmt=fmt, query=query, now=now, source=str(src))


def _originals(source: Path) -> dict[str, bytes]:
    return {orjson.loads(line)["id"]: line for line in source.read_bytes().splitlines()}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".audit-export-"))


# -- round trips -----------------------------------------------------------------------------


def test_jsonl_round_trip_of_a_filtered_view(
    store: Any, source: Path, tmp_path: Path, fixed_now: datetime
) -> None:
    query = Query(actors=frozenset({"usr_ada"}))
    out = tmp_path / "ada.jsonl"
    result = export.export(store, _plan(out, "jsonl", query, fixed_now, source))

    lines = out.read_bytes().splitlines()
    ids = [orjson.loads(line)["id"] for line in lines]
    assert ids == ["evt_08", "evt_06", "evt_04", "evt_02", "evt_00"]  # newest first
    originals = _originals(source)
    assert lines == [originals[i] for i in ids]  # byte for byte
    assert out.read_bytes().endswith(b"\n")
    assert result.count == 5 and result.path == out

    again = open_source(str(out))
    try:
        assert again.wait(30)
        assert again.total == 5 and not again.skipped
        reread = again.search(Query(), fixed_now).positions
        assert [again.raw(int(p)) for p in reread] == lines
    finally:
        again.close()


def test_json_export_parses_to_the_originals(
    store: Any, source: Path, tmp_path: Path, fixed_now: datetime
) -> None:
    query = Query(event_types=frozenset({"Agent Deleted"}))
    out = tmp_path / "deleted.json"
    result = export.export(store, _plan(out, "json", query, fixed_now, source))
    doc = orjson.loads(out.read_bytes())
    originals = _originals(source)
    assert [d["id"] for d in doc] == ["evt_09", "evt_06", "evt_03", "evt_00"]
    assert doc == [orjson.loads(originals[d["id"]]) for d in doc]
    for line in originals.values():  # each record's own bytes are in the file unchanged
        if orjson.loads(line)["event_type"] == "Agent Deleted":
            assert line in out.read_bytes()
    assert result.count == 4


def test_empty_view_gives_valid_files(store: Any, tmp_path: Path, fixed_now: datetime) -> None:
    query = Query(actors=frozenset({"nobody"}))
    for fmt, expected in (("json", b"[]\n"), ("jsonl", b"")):
        out = tmp_path / f"none.{fmt}"
        result = export.export(store, _plan(out, fmt, query, fixed_now))
        assert out.read_bytes() == expected
        manifest = orjson.loads(result.manifest_path.read_bytes())  # type: ignore[union-attr]
        assert manifest["count"] == 0
        assert manifest["newest"] is None and manifest["oldest"] is None
    out = tmp_path / "none.csv"
    export.export(store, _plan(out, "csv", query, fixed_now))
    assert out.read_bytes() == (",".join(output.CSV_COLUMNS) + "\r\n").encode()


# -- CSV -------------------------------------------------------------------------------------


def test_neutralise_prefixes_a_quote_to_risky_first_characters() -> None:
    for cell in FORMULAS:
        assert output.neutralise(cell) == "'" + cell
    for cell in ["plain", "a=b", " =1", "'=1", "", "1+1", "日本"]:
        assert output.neutralise(cell) == cell


def test_csv_columns_quoting_formulas_and_unicode(
    tmp_path: Path, make_event: Callable[..., dict[str, Any]], fixed_now: datetime
) -> None:
    events = [
        make_event(
            id=f"evt_{i}",
            audited_at=f"2026-11-19T10:00:0{i}.000Z",
            actor={"type": "user", "id": f"usr_{i}", "name": name, "email": "e@x.io"},
            resource={"type": "agent", "id": "agt_1", "name": 'say "hi", then\nleave'},
            metadata={"k": "naïve — 日本"},
        )
        for i, name in enumerate(FORMULAS)
    ]
    src = tmp_path / "hostile.jsonl"
    src.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    s = open_source(str(src))
    try:
        assert s.wait(30)
        out = tmp_path / "hostile.csv"
        result = export.export(s, _plan(out, "csv", Query(), fixed_now, src))
    finally:
        s.close()

    data = out.read_bytes()
    assert data.decode("utf-8")  # UTF-8, no BOM
    assert not data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert tuple(rows[0]) == output.CSV_COLUMNS
    body = rows[1:]
    assert len(body) == result.count == len(FORMULAS)
    col = {name: i for i, name in enumerate(output.CSV_COLUMNS)}
    # newest first: the last fixture event comes first
    names = [r[col["actor_name"]] for r in body]
    assert names == ["'" + n for n in reversed(FORMULAS)]  # neutralised, text kept
    assert all(r[col["resource_name"]] == 'say "hi", then\nleave' for r in body)
    assert orjson.loads(body[0][col["metadata"]]) == {"k": "naïve — 日本"}
    assert body[0][col["audited_at"]] == "2026-11-19T10:00:05.000Z"
    assert body[0][col["id"]] == "evt_5"
    # RFC 4180: CRLF records, embedded quotes doubled inside a quoted field
    assert data.count(b"\r\n") >= len(FORMULAS) + 1
    assert b'"say ""hi"", then\nleave"' in data


def test_csv_export_matches_query_csv(
    source: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    out = tmp_path / "all.csv"
    assert main(["export", str(source), "--actor", "usr_ada", "-o", str(out)]) == 0
    capsysbinary.readouterr()
    assert main(["query", str(source), "--actor", "usr_ada", "--format", "csv"]) == 0
    assert capsysbinary.readouterr().out == out.read_bytes()


# -- the manifest ----------------------------------------------------------------------------


def test_manifest_records_hash_count_times_query_source(
    store: Any, source: Path, tmp_path: Path, fixed_now: datetime
) -> None:
    query = Query(text="ada", since="2026-11-19T03:00", until="2026-11-19T09:00")
    out = tmp_path / "range.jsonl"
    before = datetime.now(UTC) - timedelta(seconds=1)
    result = export.export(store, _plan(out, "jsonl", query, fixed_now, source))
    after = datetime.now(UTC) + timedelta(seconds=1)

    mpath = tmp_path / "range.jsonl.manifest.json"
    assert result.manifest_path == mpath == manifest_path_for(out)
    m = orjson.loads(mpath.read_bytes())
    data = out.read_bytes()
    assert m["file"] == {"name": "range.jsonl", "size": len(data), "sha256": result.sha256}
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)
    assert m["count"] == result.count == 3  # 04:00, 06:00, 08:00 by Ada
    assert m["newest"] == result.newest == "2026-11-19T08:00:00.000Z"
    assert m["oldest"] == result.oldest == "2026-11-19T04:00:00.000Z"
    assert m["query"] == query.describe(fixed_now)
    assert m["query"]["window_utc"] == {
        "since": "2026-11-19T03:00:00.000Z",
        "until": "2026-11-19T09:00:00.000Z",
    }
    assert m["query"]["text"] == "ada"
    assert m["format"] == "jsonl"
    assert m["source"] == str(source) and os.path.isabs(m["source"])
    assert m["tool"] == {"name": "audit-tui", "version": __version__}
    assert m["order"] == "newest first"
    exported = datetime.fromisoformat(m["exported_at"].replace("Z", "+00:00"))
    assert before <= exported <= after and m["exported_at"].endswith("Z")


def test_manifest_of_a_rolling_period_has_absolute_times(
    store: Any, tmp_path: Path, fixed_now: datetime
) -> None:
    query = Query(period="7d", workspaces=frozenset({"Production"}))
    result = export.export(store, _plan(tmp_path / "p.csv", "csv", query, fixed_now))
    m = orjson.loads(result.manifest_path.read_bytes())  # type: ignore[union-attr]
    assert m["query"]["period"] == "7d"
    assert m["query"]["window_utc"]["since"] == "2026-11-13T12:00:00.000Z"
    assert m["query"]["window_utc"]["until"] == "2026-11-20T12:00:00.001Z"
    assert m["query"]["workspaces"] == ["Production"]
    assert m["count"] == 10


def test_source_labels_and_url_credentials(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    assert source_label("events.jsonl") == str(tmp_path / "events.jsonl")
    assert source_label("-") == "standard input"
    assert source_label("") == source_label(None) == "bundled sample data"
    cases = {
        "https://ada:s3cret@api.example.com/v1/audit?page=2": "https://api.example.com/v1/audit?page=2",
        "https://tok@api.example.com:8443/x": "https://api.example.com:8443/x",
        "https://h/x?token=a&page=2&api_key=b&access_token=c": "https://h/x?page=2",
        "https://h/x?X-Amz-Signature=a&X-Amz-Credential=b&limit=5": "https://h/x?limit=5",
        "https://h/x?sig=a&client_secret=b&password=c&key=d&sort=desc": "https://h/x?sort=desc",
        "https://h/x#access_token=abc": "https://h/x",
        "https://u:p@[::1]:9/x": "https://[::1]:9/x",
    }
    for given, expected in cases.items():
        assert strip_url_credentials(given) == expected
        assert source_label(given) == expected
        assert "s3cret" not in source_label(given)


def test_default_path(tmp_path: Path) -> None:
    when = datetime(2026, 11, 20, 14, 3, 22, tzinfo=UTC)
    first = default_path("csv", when, tmp_path)
    assert first == tmp_path / "audit-export-20261120-140322.csv"
    assert default_path("jsonl", when).name == "audit-export-20261120-140322.jsonl"
    assert default_path("jsonl", when).parent == Path(".")
    first.write_text("x")
    assert default_path("csv", when, tmp_path).name == "audit-export-20261120-140322-2.csv"
    with pytest.raises(ExportError):
        default_path("xml", when)


# -- safety ----------------------------------------------------------------------------------


def test_refuses_to_overwrite_without_force(
    store: Any, tmp_path: Path, fixed_now: datetime
) -> None:
    out = tmp_path / "taken.csv"
    out.write_bytes(b"precious")
    with pytest.raises(ExportError, match="already exists") as info:
        export.export(store, _plan(out, "csv", Query(), fixed_now))
    assert info.value.code == 2
    assert out.read_bytes() == b"precious"
    assert not manifest_path_for(out).exists()
    assert _leftovers(tmp_path) == []
    # a stale manifest alone is evidence too: not replaced without --force either
    out2 = tmp_path / "fresh.csv"
    manifest_path_for(out2).write_bytes(b"{}")
    with pytest.raises(ExportError, match="already exists"):
        export.export(store, _plan(out2, "csv", Query(), fixed_now))
    assert not out2.exists() and manifest_path_for(out2).read_bytes() == b"{}"

    result = export.export(store, _plan(out, "csv", Query(), fixed_now), force=True)
    assert out.read_bytes() != b"precious" and result.count == 10
    assert hashlib.sha256(out.read_bytes()).hexdigest() == result.sha256


def test_cancel_midway_leaves_nothing(
    tmp_path: Path, make_event: Callable[..., dict[str, Any]], fixed_now: datetime
) -> None:
    src = tmp_path / "many.jsonl"
    src.write_bytes(
        b"".join(
            orjson.dumps(make_event(id=f"e{i}", audited_at=1_700_000_000_000 + i)) + b"\n"
            for i in range(3500)
        )
    )
    s = open_source(str(src))
    assert s.wait(30)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "many.jsonl"
    cancel = threading.Event()
    calls: list[tuple[int, int]] = []
    seen_temp: list[list[str]] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        seen_temp.append(_leftovers(out_dir))
        if done >= 2000:
            cancel.set()

    try:
        with pytest.raises(ExportError, match="export cancelled: nothing written"):
            export.export(
                s, _plan(out, "jsonl", Query(), fixed_now), progress=progress, cancel=cancel
            )
    finally:
        s.close()
    assert calls == [(0, 3500), (1000, 3500), (2000, 3500)]
    assert seen_temp[-1]  # the temporary file existed while writing…
    assert list(out_dir.iterdir()) == []  # …and nothing is left


def test_progress_reaches_the_total(store: Any, tmp_path: Path, fixed_now: datetime) -> None:
    calls: list[tuple[int, int]] = []
    export.export(
        store,
        _plan(tmp_path / "a.jsonl", "jsonl", Query(), fixed_now),
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[0] == (0, 10) and calls[-1] == (10, 10)


def test_disk_full_midway_leaves_nothing(
    store: Any, tmp_path: Path, fixed_now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = export._write_chunk
    written = [0]

    def full_after_100(f: Any, data: Any) -> None:
        room = 100 - written[0]
        if len(data) > room:
            real(f, bytes(data)[: max(room, 0)])
            written[0] = 100
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(f, data)
        written[0] += len(data)

    monkeypatch.setattr(export, "_write_chunk", full_after_100)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "big.json"
    with pytest.raises(ExportError) as info:
        export.export(store, _plan(out, "json", Query(), fixed_now))
    message = str(info.value)
    assert "disk is full" in message and "nothing written" in message
    assert "\n" not in message
    assert list(out_dir.iterdir()) == []


def test_disk_full_through_the_cli_is_one_line_exit_1(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def full(f: Any, data: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export, "_write_chunk", full)
    out = tmp_path / "x.csv"
    assert main(["export", str(source), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "disk is full" in err and "Traceback" not in err
    assert not out.exists() and _leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_unwritable_folder(store: Any, tmp_path: Path, fixed_now: datetime) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="permission denied"):
            export.export(store, _plan(folder / "x.csv", "csv", Query(), fixed_now))
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_missing_folder_and_source_itself(
    store: Any, source: Path, tmp_path: Path, fixed_now: datetime
) -> None:
    with pytest.raises(ExportError, match="no such folder") as info:
        export.export(store, _plan(tmp_path / "nope" / "x.csv", "csv", Query(), fixed_now))
    assert info.value.code == 2
    before = source.read_bytes()
    with pytest.raises(ExportError, match="source itself"):
        export.export(store, _plan(source, "jsonl", Query(), fixed_now, source), force=True)
    assert source.read_bytes() == before


# -- the command line ------------------------------------------------------------------------


def test_cli_end_to_end(source: Path, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "ada.csv"
    argv = ["export", str(source), "--actor", "usr_ada", "--event-type", "Agent Deleted"]
    assert main([*argv, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "exported 2 events" in err and str(out) in err
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"), newline="")))
    assert [r["id"] for r in rows] == ["evt_06", "evt_00"]
    assert rows[0]["actor_name"] == "Ada Łovelace 日本"
    m = orjson.loads(manifest_path_for(out).read_bytes())
    assert m["format"] == "csv" and m["count"] == 2
    assert m["source"] == str(source)
    assert m["query"]["actors"] == ["usr_ada"]
    assert m["query"]["event_types"] == ["Agent Deleted"]
    assert m["file"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()

    # an existing PATH: exit 2, a clear message, the file unchanged
    before = out.read_bytes()
    assert main([*argv, "--event-type", "user.login", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and err.count("\n") == 1
    assert out.read_bytes() == before
    # --force replaces it
    assert main([*argv, "--event-type", "user.login", "-o", str(out), "--force"]) == 0
    capsys.readouterr()
    assert len(list(csv.DictReader(io.StringIO(out.read_text("utf-8"), newline="")))) == 5
    assert orjson.loads(manifest_path_for(out).read_bytes())["count"] == 5
    assert _leftovers(tmp_path) == []


def test_cli_stdout_has_no_manifest(
    source: Path, tmp_path: Path, monkeypatch: Any, capsysbinary: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(source), "--actor", "usr_ada", "--format", "jsonl", "-o", "-"]) == 0
    captured = capsysbinary.readouterr()
    originals = _originals(source)
    assert captured.out == b"".join(
        originals[i] + b"\n" for i in ("evt_08", "evt_06", "evt_04", "evt_02", "evt_00")
    )
    assert captured.err == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_cli_format_from_extension_and_default_name(
    source: Path, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(source), "-o", "x.ndjson"]) == 0
    assert orjson.loads((tmp_path / "x.ndjson.manifest.json").read_bytes())["format"] == "jsonl"
    assert main(["export", str(source), "--format", "json"]) == 0
    made = sorted(tmp_path.glob("audit-export-*[0-9].json"))
    assert len(made) == 1 and orjson.loads(made[0].read_bytes())
    capsys.readouterr()
    assert main(["export", str(source), "-o", "x.txt"]) == 2
    assert "--format" in capsys.readouterr().err
    assert main(["export", str(source), "-o", "-"]) == 2
    assert "--format" in capsys.readouterr().err


def test_cli_bad_source_and_help(tmp_path: Path, capsys: Any) -> None:
    assert main(["export", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "x.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
    with pytest.raises(SystemExit) as info:
        main(["export", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for word in ("--format", "-o PATH", "--force", "--verify", "examples:", "manifest", "SHA-256"):
        assert word in text


def test_cli_url_source_to_stdout_is_refused_clearly(capsys: Any) -> None:
    """A remote export goes to a file (atomic, with a manifest); for standard output there is
    `query URL`. Refused before any request is made, without echoing credentials."""
    assert main(["export", "https://ada:pw@h/api?token=t", "--format", "jsonl", "-o", "-"]) == 2
    err = capsys.readouterr().err
    assert "query URL" in err and "pw" not in err and "token=t" not in err


def test_cli_verify(source: Path, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "v.jsonl"
    assert main(["export", str(source), "-o", str(out)]) == 0
    capsys.readouterr()
    mpath = manifest_path_for(out)
    assert main(["export", "--verify", str(mpath)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["export", "--verify", str(out)]) == 0  # the data file finds its manifest
    capsys.readouterr()
    out.write_bytes(out.read_bytes().replace(b"evt_03", b"evt_33"))  # same size, other bytes
    assert main(["export", "--verify", str(mpath)]) == 1
    assert "MODIFIED" in capsys.readouterr().err
    out.unlink()
    assert main(["export", "--verify", str(mpath)]) == 1
    assert "missing" in capsys.readouterr().err
    mpath.write_bytes(b"not json")
    assert main(["export", "--verify", str(mpath)]) == 2
    assert main(["export", "--verify", str(tmp_path / "none.manifest.json")]) == 2
    mpath.write_bytes(orjson.dumps({"file": {"name": "../etc/passwd", "size": 1, "sha256": "x"}}))
    assert main(["export", "--verify", str(mpath)]) == 2
    assert main(["export", str(source), "--verify", str(mpath)]) == 2


def test_cli_ctrl_c_leaves_nothing(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def interrupt(f: Any, data: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "_write_chunk", interrupt)
    out = tmp_path / "x.json"
    assert main(["export", str(source), "-o", str(out)]) == 130
    assert "cancelled" in capsys.readouterr().err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_data_layer_does_not_import_textual() -> None:
    import subprocess
    import sys

    code = "import sys, audit_tui.export, audit_tui.commands.main; print('textual' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_permission_denied_is_one_line(
    store: Any, tmp_path: Path, fixed_now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(folder: Path) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))

    monkeypatch.setattr(export, "_temp", denied)
    with pytest.raises(ExportError) as info:
        export.export(store, _plan(tmp_path / "x.csv", "csv", Query(), fixed_now))
    assert str(info.value) == f"cannot write {tmp_path}: permission denied; nothing written"
    assert info.value.code == 1
