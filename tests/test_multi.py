"""Many files as one source (issue 18): files, folders, globs, in any mix of formats and
compressions; every event keeps its file and line; the same file is read once; what is not
read is reported with why.

The trees are built by the tests from the real samples in tests/data/formats (see its README):
CloudTrail in the S3 layout (``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz``,
each object ``{"Records": [...]}``), a rotated Kubernetes audit log with one ``.gz``, and a
folder holding things that are not logs.
"""

from __future__ import annotations

import gzip
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from audit_tui.commands.main import main
from audit_tui.query import Query
from audit_tui.sources import multi
from audit_tui.sources.file import SourceError, open_source
from audit_tui.sources.multi import open_paths
from audit_tui.store import Store

DATA = Path(__file__).parent / "data" / "formats"
CLOUDTRAIL = DATA / "cloudtrail" / "panther-analysis__aws_cloudtrail_rules.jsonl.gz"
K8S = DATA / "k8s-audit" / "audit2rbac__demo.log"
NOW = "--now=2026-12-01T00:00:00Z"


def cloudtrail_records() -> list[dict[str, Any]]:
    """The sample's records that name an account, a region and a day (an S3 key needs them)."""
    records = [
        orjson.loads(line) for line in gzip.decompress(CLOUDTRAIL.read_bytes()).split(b"\n") if line
    ]
    return [
        r
        for r in records
        if isinstance(r.get("recipientAccountId"), str)
        and isinstance(r.get("awsRegion"), str)
        and str(r.get("eventTime", ""))[4:5] == "-"
    ]


def write_s3_tree(root: Path, records: list[dict[str, Any]], per_object: int = 7) -> list[Path]:
    """The records as CloudTrail delivers them to S3: one gzipped ``{"Records": [...]}`` object
    per few events, under ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/``."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[(r["recipientAccountId"], r["awsRegion"], r["eventTime"][:10])].append(r)
    written = []
    for (account, region, day), group in sorted(groups.items()):
        yyyy, mm, dd = day.split("-")
        folder = root / "AWSLogs" / account / "CloudTrail" / region / yyyy / mm / dd
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(0, len(group), per_object):
            name = (
                f"{account}_CloudTrail_{region}_{yyyy}{mm}{dd}T0000Z_{n // per_object:04d}.json.gz"
            )
            doc = orjson.dumps({"Records": group[n : n + per_object]})  # no newline, as S3 has it
            (folder / name).write_bytes(gzip.compress(doc))
            written.append(folder / name)
    return written


def write_k8s_rotation(folder: Path) -> dict[str, list[bytes]]:
    """The demo audit log as the API server rotates it: two older files (the oldest gzipped)
    and the live ``audit.log``. Returns each file's lines."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = K8S.read_bytes().splitlines(keepends=True)
    parts = {
        "audit-2026-11-29T10-00-00.000.log.gz": lines[:12],
        "audit-2026-11-30T10-00-00.000.log": lines[12:25],
        "audit.log": lines[25:],
    }
    for name, part in parts.items():
        data = b"".join(part)
        (folder / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return parts


def loaded(store: Store) -> Store:
    assert store.wait(60)
    return store


@pytest.fixture
def stores() -> Iterator[list[Store]]:
    opened: list[Store] = []
    yield opened
    for store in opened:
        store.close()


@pytest.fixture(params=["thread", "workers"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every set is read both ways: by this process, and by two worker processes taking files
    from a shared counter (forced here by a threshold of 0 bytes)."""
    if request.param == "workers":
        monkeypatch.setattr(multi, "PARALLEL_MIN_BYTES", 0)
    return str(request.param)


def origins(store: Store) -> list[tuple[str, str, int | None]]:
    return [store.origin(p) for p in range(store.total)]


# -- CloudTrail in the S3 layout ---------------------------------------------------------------


def test_an_s3_tree_of_cloudtrail_objects_is_one_source(
    tmp_path: Path, mode: str, stores: list[Store]
) -> None:
    records = cloudtrail_records()
    objects = write_s3_tree(tmp_path, records)
    # the same records as one JSON-lines file, read by the single-file loader: what to expect
    (tmp_path / "all.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    alone = loaded(open_source(str(tmp_path / "all.jsonl")))
    stores.append(alone)

    store = loaded(open_paths([str(tmp_path / "AWSLogs")]))
    stores.append(store)
    assert store.file_report.total == len(objects) > 30
    assert store.file_report.read == len(objects)
    assert store.total == alone.total > 250
    assert len(store.skipped) == len(alone.skipped)
    assert "AWS CloudTrail" in store.format_name
    # every event names its object and its place in it (records of a JSON document)
    per_file = Counter(name for name, _unit, _n in origins(store))
    assert set(per_file) <= {str(p) for p in objects}
    assert all(unit == "record" for _name, unit, _n in origins(store))
    # and its raw record is one of the object's records, byte for byte as in the object
    for p in range(0, store.total, 17):
        name, _unit, number = store.origin(p)
        assert number is not None
        doc = orjson.loads(gzip.decompress(Path(name).read_bytes()))
        assert orjson.loads(store.raw(p)) == doc["Records"][number - 1]
    # one search and one timeline over all of them, and file: narrows to some
    region = "us-east-1"
    in_region = sum(n for f, n in per_file.items() if f"/{region}/" in f)
    assert store.count(Query(text=f"file:/{region}/")) == in_region > 0
    day = store.count(Query(text="file:2019/01/01"))
    assert 0 < day < store.total
    assert store.count(Query(text="file:2019/01/01 -file:us-west-2")) == sum(
        n for f, n in per_file.items() if "2019/01/01" in f and "us-west-2" not in f
    )


def test_a_glob_with_double_star_reads_the_objects(tmp_path: Path, stores: list[Store]) -> None:
    objects = write_s3_tree(tmp_path, cloudtrail_records())
    (tmp_path / "AWSLogs" / "README.md").write_text("CloudTrail bucket copy\n")
    pattern = str(tmp_path / "AWSLogs" / "**" / "us-west-2" / "**" / "*.json.gz")
    store = loaded(open_paths([pattern]))
    stores.append(store)
    west = [p for p in objects if "/us-west-2/" in str(p)]
    assert store.file_report.total == len(west) > 0
    assert {name for name, _u, _n in origins(store)} <= {str(p) for p in west}
    assert store.file_report.skipped == []  # the README is not under the pattern


# -- a rotated Kubernetes audit log --------------------------------------------------------------


def test_a_rotated_kubernetes_log_with_a_gz_is_one_timeline(
    tmp_path: Path, mode: str, stores: list[Store]
) -> None:
    parts = write_k8s_rotation(tmp_path / "kube")
    store = loaded(open_paths([str(tmp_path / "kube")]))
    stores.append(store)
    assert store.total == sum(len(p) for p in parts.values()) == 37
    assert store.file_report.read == 3
    assert store.format_name == "files: Kubernetes audit"
    assert Counter(Path(name).name for name, _u, _n in origins(store)) == {
        name: len(lines) for name, lines in parts.items()
    }
    # newest first across the files, and each event's line is its line in its own file
    times = [store.row(p).audited_at for p in range(store.total)]
    assert times == sorted(times, reverse=True)
    for p in range(store.total):
        name, unit, line = store.origin(p)
        assert unit == "line" and line is not None
        assert store.raw(p) == parts[Path(name).name][line - 1].rstrip(b"\n")
    assert store.count(Query(text="file:2026-11-30")) == 13
    assert store.count(Query(text="file:.gz")) == 12
    # words are searched in every file (by the workers that read them, in workers mode)
    pods = [line for lines in parts.values() for line in lines if b'"pods"' in line]
    assert store.count(Query(text="pods")) == len(pods) > 3
    assert store.count(Query(text="pods file:audit.log")) == sum(
        b'"pods"' in line for line in parts["audit.log"]
    )
    assert len(store.first(Query(text="pods"), 3).positions) == 3
    assert store.count(Query(text="file:audit.log")) == 12  # the live file only


def test_a_quoted_glob_is_expanded_and_counted(tmp_path: Path, stores: list[Store]) -> None:
    write_k8s_rotation(tmp_path / "kube")
    store = loaded(open_paths([str(tmp_path / "kube" / "audit-*.log*")]))
    stores.append(store)
    assert store.file_report.total == 2
    assert store.total == 25


def test_a_glob_that_matches_nothing_or_a_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no file matches; check the pattern"):
        open_paths([str(tmp_path / "*.jsonl")])
    with pytest.raises(SourceError, match=r"nope: no such file or folder"):
        open_paths([str(tmp_path), str(tmp_path / "nope")])


# -- what is not read, and the same file twice -----------------------------------------------------


def test_a_folder_holding_non_logs_reports_them(tmp_path: Path, stores: list[Store]) -> None:
    folder = tmp_path / "logs"
    write_k8s_rotation(folder)
    (folder / "README.md").write_text("rotated by the API server\n")
    (folder / ".audit.log.swp").write_bytes(b"\x00vim swap")
    (folder / ".cache").mkdir()
    (folder / ".cache" / "x.jsonl").write_bytes(K8S.read_bytes())
    (folder / "core").write_bytes(b"\x7fELF\x00\x00\x01" * 50)
    (folder / "notes").write_text("kept, checked, fine\n")
    (folder / "export.jsonl.manifest.json").write_text('{"manifest_version": 1}')
    store = loaded(open_paths([str(folder)]))
    stores.append(store)
    assert store.total == 37
    why = {Path(path).name: reason for path, reason in store.file_report.skipped}
    assert why == {
        ".cache": "hidden folder",
        ".audit.log.swp": "hidden file",
        "README.md": "not a log (.md)",
        "export.jsonl.manifest.json": "an export manifest",
        "core": "binary data, not a log",
        "notes": "not a log (text that is not JSON)",
    }
    assert store.file_report.read == 3
    summary = store.file_report.summary(most=10)
    assert summary.startswith("read 3 files; skipped 6: ")
    assert "README.md not a log (.md)" in summary


def test_the_same_file_given_twice_or_in_a_folder_is_read_once(
    tmp_path: Path, mode: str, stores: list[Store]
) -> None:
    parts = write_k8s_rotation(tmp_path / "kube")
    live = tmp_path / "kube" / "audit.log"
    os.symlink(live, tmp_path / "link.log")
    store = loaded(
        open_paths([str(live), str(tmp_path / "kube"), str(live), str(tmp_path / "link.log")])
    )
    stores.append(store)
    assert store.total == 37  # not 37 + 12 + 12 + 12
    assert store.file_report.read == 3
    dupes = [(Path(p).name, why) for p, why in store.file_report.skipped]
    assert dupes == [
        ("audit.log", "given twice (read once)"),  # in the folder
        ("audit.log", "given twice (read once)"),
        ("link.log", f"the same file as {live} (read once)"),
    ]
    assert Counter(Path(n).name for n, _u, _l in origins(store))["audit.log"] == len(
        parts["audit.log"]
    )


def test_a_bad_file_among_good_ones_is_skipped_not_fatal(
    tmp_path: Path, stores: list[Store]
) -> None:
    write_k8s_rotation(tmp_path / "kube")
    (tmp_path / "kube" / "broken.json").write_bytes(b'{"Records": [ {"eventTime": ')
    (tmp_path / "kube" / "trunc.log.gz").write_bytes(gzip.compress(b'{"a": 1}\n')[:-6])
    store = loaded(open_paths([str(tmp_path / "kube")]))
    stores.append(store)
    assert store.total == 37
    why = dict((Path(p).name, w) for p, w in store.file_report.skipped)
    assert why["broken.json"].startswith("not valid JSON")
    assert why["trunc.log.gz"].startswith("damaged gzip data")


def test_invalid_records_name_their_file_and_line(tmp_path: Path, stores: list[Store]) -> None:
    (tmp_path / "a.jsonl").write_bytes(K8S.read_bytes().splitlines(keepends=True)[0] + b"{oops\n")
    (tmp_path / "b.jsonl").write_bytes(b'\n{"kind": 0}\n')
    store = loaded(open_paths([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]))
    stores.append(store)
    assert [(s.file, s.unit, s.line, s.reason) for s in store.skipped] == [
        (str(tmp_path / "a.jsonl"), "line", 2, "invalid JSON"),
        (str(tmp_path / "b.jsonl"), "line", 2, "no audited_at"),
    ]


# -- the command line ------------------------------------------------------------------------------


def test_query_reads_folders_globs_and_files_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_s3_tree(tmp_path / "ct", cloudtrail_records())
    write_k8s_rotation(tmp_path / "kube")
    (tmp_path / "kube" / "README.md").write_text("x")
    glob = str(tmp_path / "ct" / "**" / "*.json.gz")
    live = str(tmp_path / "kube" / "audit.log")
    assert main(["query", glob, str(tmp_path / "kube"), live, "--count", NOW]) == 0
    out, err = capsys.readouterr()
    ct_events = len(cloudtrail_records())
    count = int(out)
    assert 37 + 250 < count <= 37 + ct_events
    assert "README.md not a log (.md)" in err
    assert f"{live} given twice (read once)" in err
    # the search language after --, the SOURCEs before it
    assert main(["query", str(tmp_path / "kube"), "--count", NOW, "--", "file:2026-11-30"]) == 0
    assert capsys.readouterr().out == "13\n"


def test_query_and_export_options_may_come_between_the_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = write_k8s_rotation(tmp_path / "kube")
    names = [str(tmp_path / "kube" / n) for n in parts]
    assert main(["query", names[0], "--count", names[1], NOW, names[2]]) == 0
    assert capsys.readouterr().out == "37\n"


def test_a_url_is_never_one_of_several_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_k8s_rotation(tmp_path / "kube")
    code = main(["query", str(tmp_path / "kube"), "https://example.com/api", "--count"])
    assert code == 2
    assert "is read alone" in capsys.readouterr().err


def test_export_manifest_lists_the_files_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_k8s_rotation(tmp_path / "kube")
    (tmp_path / "kube" / "notes.txt").write_text("x")
    out = tmp_path / "out.jsonl"
    assert main(["export", str(tmp_path / "kube"), "-o", str(out), NOW]) == 0
    assert len(out.read_bytes().splitlines()) == 37
    manifest = orjson.loads((tmp_path / "out.jsonl.manifest.json").read_bytes())
    assert manifest["source"] == str(tmp_path / "kube")
    assert manifest["files"] == {
        "read": 3,
        "skipped": [{"path": str(tmp_path / "kube" / "notes.txt"), "why": "not a log (.txt)"}],
    }
    assert "read 3 files; skipped 1" in capsys.readouterr().err


# -- a JSON-lines stream of whole documents ---------------------------------------------------------


def test_lines_that_are_whole_cloudtrail_objects_or_api_pages_yield_their_events(
    tmp_path: Path, stores: list[Store]
) -> None:
    records = cloudtrail_records()[:30]
    objects = [
        orjson.dumps({"Records": records[0:10]}),  # line 1
        # line 2: two S3 objects back to back (zcat of objects written without a newline)
        orjson.dumps({"Records": records[10:20]}) + orjson.dumps({"Records": records[20:25]}),
        # line 3: an API page whose events are not under its first key
        orjson.dumps({"object": "list", "data": records[25:29], "has_more": False}),
        b'{"Records": []}',  # line 4: an object without events (no error)
        # line 5: one readable event and one without a time
        orjson.dumps({"Records": [records[29], {"eventName": "X"}]}),
    ]
    data = b"\n".join(objects) + b"\n"
    path = tmp_path / "zcat.jsonl"
    path.write_bytes(data)
    for store in (
        loaded(open_source(str(path))),
        loaded(open_paths([str(path), str(path)])),  # (and read once)
    ):
        stores.append(store)
        assert store.total == 30
        assert "AWS CloudTrail" in store.format_name
        assert [(s.line, s.reason) for s in store.skipped] == [
            (5, "record 2 of the line: no audited_at")
        ]
        lines = Counter(line for _name, _unit, line in origins(store))
        assert lines == {1: 10, 2: 15, 3: 4, 5: 1}
        # each event's raw record is its bytes in the line, byte for byte
        raws = {store.raw(p) for p in range(store.total)}
        assert raws == {orjson.dumps(r) for r in records}
        assert store.count(Query(text=records[0]["eventName"])) >= 1


def test_standard_input_of_concatenated_objects_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    objects = write_s3_tree(tmp_path, cloudtrail_records())
    joined = b"".join(gzip.decompress(p.read_bytes()) for p in objects)  # zcat *.json.gz
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(joined)))
    assert main(["query", "-", "--count", NOW]) == 0
    total = int(capsys.readouterr().out)
    store = loaded(open_paths([str(tmp_path / "AWSLogs")]))
    try:
        assert total == store.total > 250
    finally:
        store.close()


@pytest.mark.parametrize("small_file, batch", [(0, 4 << 20), (1 << 20, 1), (1 << 20, 3000)])
def test_big_and_small_files_keep_their_lines_however_they_are_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stores: list[Store],
    small_file: int,
    batch: int,
) -> None:
    """Files read one by one (none small), small files each in a batch of its own, and several
    in a batch (a batch ends inside the set): each event's file, line and record are its own."""
    monkeypatch.setattr(multi, "SMALL_FILE", small_file)
    monkeypatch.setattr(multi, "BATCH_BYTES", batch)
    parts = write_k8s_rotation(tmp_path / "kube")
    (tmp_path / "kube" / "bad.log").write_bytes(
        b'{"kind": 0}\n\n{oops\n' + b"".join(parts["audit.log"][:2])
    )
    store = loaded(open_paths([str(tmp_path / "kube")]))
    stores.append(store)
    assert store.total == 37 + 2
    for p in range(store.total):
        name, _unit, line = store.origin(p)
        assert line is not None
        data = Path(name).read_bytes()
        data = gzip.decompress(data) if name.endswith(".gz") else data
        assert store.raw(p) == data.splitlines()[line - 1]
    assert [(Path(s.file).name, s.line, s.reason) for s in store.skipped] == [
        ("bad.log", 1, "no audited_at"),
        ("bad.log", 3, "invalid JSON"),
    ]
