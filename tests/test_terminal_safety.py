"""Nothing raw reaches a terminal, nothing is lost on the way to a file (issue 10, rows 2, 3, 4,
12 and the terminal-safety test).

The commands run as subprocesses with standard output and standard error on a pseudo-terminal
(``os.openpty``): every format of ``query`` and ``export -o -`` and every error message, over
events holding a corpus of escapes in every field. What arrives must hold no ESC, no C1 control,
no bidi control, no BEL and no NUL. To a pipe the bytes are exact.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from audit_tui import output
from audit_tui.safe import clean_json, clean_json_bytes
from audit_tui.serve import AuditAPI, QueryParams, create_app, serve_in_thread

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")

# CSI (clear screen), OSC 0 (title), OSC 8 (hyperlink), OSC 52 (clipboard), DCS, C1 CSI/OSC/ST/
# NEL, bidi override and isolates, BEL, NUL, DEL
ESCAPES = (
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1bP+q544e\x1b\\",
    "\x9b31m",
    "\x9d0;c1-title\x9c",
    "\x85",
    "\u202eevil\u202c",
    "\u2066iso\u2069",
    "\u202a\u202b\u202d",
    "\x07",
    "\x00",
    "\x7f",
)
HOSTILE = "x" + "".join(ESCAPES) + "y"

# what must not arrive on the terminal: C0 but tab/newline/CR, DEL, C1, bidi controls
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_event(i: int) -> dict[str, Any]:
    h = f"{HOSTILE}{i}"
    return {
        "id": f"evt_{i}{h}",
        "audited_at": f"2026-11-{20 - i:02d}T10:00:00.000Z",
        "event_type": f"Agent Deleted{h}",
        "actor": {"id": f"usr{h}", "type": "user", "name": f"=ada{h}", "email": f"a{h}@x"},
        "resource": {"id": f"res{h}", "type": f"agent{h}", "name": f"bot{h}"},
        "organization": {"id": f"org{h}", "name": f"Acme{h}"},
        "workspace": {"id": f"ws{h}", "name": f"Ops{h}"},
        "metadata": {h: h, "list": [h, 1, None]},
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    """A JSON-lines file, newest first, every field hostile (C1 and bidi raw in the bytes, C0
    as JSON escapes), and one invalid record whose audited_at is hostile (a skipped line)."""
    lines = [json.dumps(hostile_event(i), ensure_ascii=False).encode() for i in range(3)]
    bad = json.dumps({"audited_at": HOSTILE, "event_type": HOSTILE}, ensure_ascii=False)
    path = tmp_path_factory.mktemp("hostile") / "events.jsonl"
    path.write_bytes(b"\n".join([*lines, bad.encode()]) + b"\n")
    return path, lines


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AUDIT_TUI_DEBUG", "AUDIT_TUI_TOKEN")}
    env["HOME"] = str(tmp)
    env["XDG_CONFIG_HOME"] = str(tmp)
    return env


def run_on_pty(args: list[str], tmp: Path) -> tuple[int, bytes]:
    """The CLI with standard output and standard error on a pseudo-terminal: (exit code, what
    the terminal received)."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "audit_tui", *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=slave,
            env=_env(tmp),
            cwd=tmp,
        )
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    return proc.wait(timeout=60), b"".join(chunks)


def run_on_pipe(args: list[str], tmp: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "audit_tui", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=_env(tmp),
        cwd=tmp,
        timeout=60,
        check=False,
    )


# the one sequence audit-tui itself writes: erase the export's progress line
ERASE_LINE = b"\r\x1b[K"


def assert_terminal_safe(received: bytes) -> str:
    received = received.replace(ERASE_LINE, b"\r")
    text = received.decode("utf-8")  # strict: no stray byte either
    found = FORBIDDEN.search(text)
    assert found is None, f"raw {found.group()!r} reached the terminal: {text[:400]!r}"
    assert b"\x1b" not in received and b"\x07" not in received and b"\x00" not in received
    assert re.search(rb"\xc2[\x80-\x9f]", received) is None
    return text


# -- every output format and every error, through a terminal ---------------------------------

OUTPUTS = [
    ["query", "{src}"],
    ["query", "{src}", "--format", "table"],
    ["query", "{src}", "--format", "json"],
    ["query", "{src}", "--format", "jsonl"],
    ["query", "{src}", "--format", "csv"],
    ["query", "{src}", "--count"],
    ["query", "{src}", "--format", "csv", "--limit", "1"],
    ["export", "{src}", "--format", "csv", "-o", "-"],
    ["export", "{src}", "--format", "json", "-o", "-"],
    ["export", "{src}", "--format", "jsonl", "-o", "-"],
    ["export", "{src}", "--format", "csv", "-o", "out.csv"],
]


@pytest.mark.parametrize("template", OUTPUTS, ids=lambda t: " ".join(t[2:]) or t[0])
def test_every_output_reaches_a_terminal_escaped(
    template: list[str], hostile: tuple[Path, list[bytes]], tmp_path: Path
) -> None:
    path, _ = hostile
    args = [a.replace("{src}", str(path)) for a in template]
    code, received = run_on_pty(args, tmp_path)
    text = assert_terminal_safe(received)
    assert code == 0, text
    assert "line 4" in text  # the skipped record is reported, its values escaped too
    if "--count" in args:
        assert "\n3\r\n" in "\n" + text or text.startswith("3\r\n") or "\r\n3\r\n" in text


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("command", ["query", "export"])
def test_json_on_a_terminal_is_the_same_json(
    command: str, fmt: str, hostile: tuple[Path, list[bytes]], tmp_path: Path
) -> None:
    """Row 3: C1 and bidi characters arrive as \\uXXXX escapes, and the records are the same."""
    path, lines = hostile
    args = [command, str(path), "--format", fmt] + (["-o", "-"] if command == "export" else [])
    code, received = run_on_pty(args, tmp_path)
    text = assert_terminal_safe(received)
    assert code == 0
    body = "\n".join(line for line in text.split("\r\n") if not line.startswith("audit-tui:"))
    records = json.loads(body) if fmt == "json" else [json.loads(s) for s in body.split("\n") if s]
    assert records == [json.loads(line) for line in lines]
    assert "\\u202e" in body and "\\u009b" in body and "\\u0085" in body


def test_export_csv_on_a_terminal_is_sanitised_like_query(
    hostile: tuple[Path, list[bytes]], tmp_path: Path
) -> None:
    """Row 2: ``export -o -`` as CSV on a terminal is what ``query --format csv`` shows there."""
    path, _ = hostile
    q_code, q_out = run_on_pty(["query", str(path), "--format", "csv"], tmp_path)
    e_code, e_out = run_on_pty(["export", str(path), "--format", "csv", "-o", "-"], tmp_path)
    assert (q_code, e_code) == (0, 0)
    q_text, e_text = assert_terminal_safe(q_out), assert_terminal_safe(e_out)
    rows = [line for line in e_text.split("\r\n") if line.startswith("2026-")]
    assert len(rows) == 3
    assert "\\e]52;c;ZXZpbA==\\x07" in e_text and "\\u202eevil" in e_text
    assert [r for r in q_text.split("\r\n") if r.startswith("2026-")] == rows


ERRORS = [
    ["query", "/nonexistent/\x1b]52;c;ZXZpbA==\x07\u202e.jsonl"],
    ["export", "/nonexistent/\x1b[2J\x9b.jsonl", "--format", "csv", "-o", "-"],
    ["\x1b]0;title\x07"],
    ["query", "--demo", "--period", "\x1b[2J\u202e"],
    ["query", "--demo", "--limit", "\x1b]0;t\x07"],
    ["query", "--demo", "--since", "\x1b]0;t\x07\u202e"],
    ["query", "--demo", "--unknown-\x1b[2J", "\x9b1m"],
    ["query", "--demo", "--input-format", "\x1b]8;;x\x07"],
    ["export", "--demo", "--format", "csv", "-o", "/nonexistent/\x1b]52;c;eA==\x07.csv"],
    ["export", "--demo", "-o", "evil\x1b[2J\u2066.txt"],
    ["export", "--verify", "/nonexistent/\x1b]0;t\x07\u202e.manifest.json"],
    ["query", "http://127.0.0.1:9/\x1b]0;t\x07", "--timeout", "0.2"],
]


@pytest.mark.parametrize("args", ERRORS, ids=range(len(ERRORS)))
def test_every_error_reaches_a_terminal_escaped(args: list[str], tmp_path: Path) -> None:
    code, received = run_on_pty(args, tmp_path)
    text = assert_terminal_safe(received)
    assert code in (1, 2), text
    assert text.startswith("audit-tui: ") and text.count("\r\n") == 1, text


def test_export_and_verify_of_a_hostile_file_name_on_a_terminal(tmp_path: Path) -> None:
    name = "ev\x1b]52;c;ZXZpbA==\x07il\u202e\x9b.csv"
    code, received = run_on_pty(["export", "--demo", "-o", name], tmp_path)
    assert code == 0 and (tmp_path / name).exists()
    assert "\\e]52;c;ZXZpbA==\\x07il\\u202e\\x9b.csv" in assert_terminal_safe(received)
    code, received = run_on_pty(["export", "--verify", name + ".manifest.json"], tmp_path)
    assert code == 0
    assert_terminal_safe(received)


# -- to a pipe or a file the bytes are exact ---------------------------------------------------


def test_jsonl_to_a_pipe_is_byte_exact(hostile: tuple[Path, list[bytes]], tmp_path: Path) -> None:
    path, lines = hostile
    expected = b"".join(line + b"\n" for line in lines)
    for args in (
        ["query", str(path), "--format", "jsonl"],
        ["export", str(path), "--format", "jsonl", "-o", "-"],
    ):
        done = run_on_pipe(args, tmp_path)
        assert done.returncode == 0
        assert done.stdout == expected
    exported = tmp_path / "out.jsonl"
    assert run_on_pipe(["export", str(path), "-o", str(exported)], tmp_path).returncode == 0
    assert exported.read_bytes() == expected


def test_json_and_csv_to_a_pipe_keep_every_value(
    hostile: tuple[Path, list[bytes]], tmp_path: Path
) -> None:
    path, lines = hostile
    records = [json.loads(line) for line in lines]
    for command in (["query", str(path)], ["export", str(path), "-o", "-"]):
        done = run_on_pipe([*command, "--format", "json"], tmp_path)
        assert done.returncode == 0 and json.loads(done.stdout) == records
        assert all(line in done.stdout for line in lines)  # the records' own bytes
        done = run_on_pipe([*command, "--format", "csv"], tmp_path)
        assert done.returncode == 0
        rows = list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8"), newline="")))
        assert [r["actor_name"] for r in rows] == ["'" + r["actor"]["name"] for r in records]
        assert [r["event_type"] for r in rows] == [r["event_type"] for r in records]
        assert [json.loads(r["metadata"]) for r in rows] == [r["metadata"] for r in records]


# -- row 4: numbers and nesting a JSON library refuses -----------------------------------------

BIG_INT = "1" * 100
DEEP = "[" * 600 + "]" * 600


def _native(i: int, metadata: str, event_key: str = "event_type") -> str:
    return (
        f'{{"id":"e{i}","audited_at":"2026-11-0{i}T10:00:00Z","{event_key}":"Agent Deleted",'
        f'"actor":{{"id":"u1","name":"ada"}},"metadata":{metadata}}}'
    )


@pytest.fixture
def huge(tmp_path: Path) -> Path:
    lines = [
        _native(5, '{"b":2}'),
        _native(4, DEEP),
        _native(3, '{"f":1e400}'),
        _native(2, f'{{"n":{BIG_INT}}}'),
        _native(1, '{"a":1}'),
    ]
    path = tmp_path / "huge.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "command", [["query", "--format", "csv"], ["export", "--format", "csv", "-o", "-"]]
)
def test_csv_writes_huge_numbers_and_deep_nesting_as_their_text(
    command: list[str], huge: Path, tmp_path: Path
) -> None:
    done = run_on_pipe([command[0], str(huge), *command[1:]], tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode(), newline="")))
    assert [r["id"] for r in rows] == ["e5", "e4", "e3", "e2", "e1"]
    assert [r["metadata"] for r in rows] == [
        '{"b":2}',
        DEEP,
        '{"f":1e400}',
        f'{{"n":{BIG_INT}}}',
        '{"a":1}',
    ]


def test_export_csv_file_with_huge_values_is_complete(huge: Path, tmp_path: Path) -> None:
    out = tmp_path / "huge.csv"
    done = run_on_pipe(["export", str(huge), "-o", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    text = out.read_bytes().decode()
    assert text.count("\r\n") == 6 and DEEP in text and BIG_INT in text and "1e400" in text


def test_metadata_text_falls_back_without_failing() -> None:
    deep: Any = []
    for _ in range(600):
        deep = [deep]
    assert output.metadata_text({"n": int(BIG_INT)}) == f'{{"n":{BIG_INT}}}'
    assert output.metadata_text(deep).startswith("[[[")
    assert output.metadata_text({"a": 1}, b'{"metadata": {"a": 1}}') == '{"a":1}'
    raw = f'{{"x": {{"y": "}}"}}, "metadata" : {{"n": {BIG_INT}}} }}'.encode()
    assert output.metadata_text({"n": float(BIG_INT)}, raw) == f'{{"n": {BIG_INT}}}'
    very_deep = b'{"metadata":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert output.metadata_source_text(very_deep) == output.TOO_DEEP


@pytest.fixture
def foreign_huge(tmp_path: Path) -> Iterator[Any]:
    """Events in a foreign shape (``eventType``): serve converts them, and orjson cannot."""
    from audit_tui.sources.file import open_source

    lines = [
        _native(5, f'{{"n":1e400,"m":{BIG_INT}}}', "eventType"),
        _native(4, DEEP, "eventType"),
        _native(3, '{"n":2}'),
    ]
    path = tmp_path / "foreign.jsonl"
    path.write_text("\n".join(lines) + "\n")
    store = open_source(str(path))
    assert store.wait(30)
    yield store
    store.close()


def test_serve_passes_through_an_event_it_cannot_convert(
    foreign_huge: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api = AuditAPI(foreign_huge, None)
    body = api.page(QueryParams([("limit", "10")]))
    page = json.loads(body)  # Python's JSON reads 1e400 and the big integer
    assert [e["id"] for e in page["data"]] == ["e5", "e4", "e3"] and page["total"] == 3
    assert BIG_INT.encode() in body and b"1e400" in body
    assert "could not be converted" in caplog.text
    # the warm-up page at start-up no longer fails
    with serve_in_thread(create_app(api, warm_up=True)) as url:
        assert httpx.get(url, params={"limit": 1}).status_code == 200


# -- row 12: an empty SOURCE ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["query", "", "--count"],
        ["export", "", "--format", "csv", "-o", "-"],
        [""],
        ["serve", ""],
    ],
)
def test_an_empty_source_is_a_usage_error(args: list[str], tmp_path: Path) -> None:
    done = run_on_pipe(args, tmp_path)
    assert done.returncode == 2
    assert done.stdout == b""
    err = done.stderr.decode()
    assert err.count("\n") == 1 and "SOURCE: is empty" in err and "--demo" in err


def test_the_sample_only_with_demo_or_no_source(tmp_path: Path) -> None:
    demo = run_on_pipe(["query", "--demo", "--count"], tmp_path)
    none = run_on_pipe(["query", "--count"], tmp_path)
    assert demo.returncode == none.returncode == 0
    assert demo.stdout == none.stdout and int(demo.stdout) > 0


# -- the sanitiser for JSON --------------------------------------------------------------------


def test_clean_json_keeps_the_value() -> None:
    value = {"k\u202e": [HOSTILE, "\r\n\t", 1.5]}
    text = json.dumps(value, ensure_ascii=False)
    safe = clean_json(text)
    assert FORBIDDEN.search(safe) is None and json.loads(safe) == value
    raw = orjson.dumps(value) + b"\r"
    assert json.loads(clean_json_bytes(raw)) == value and b"\r" not in clean_json_bytes(raw)
    assert clean_json_bytes(b'{"a": 1}') == b'{"a": 1}'
    assert clean_json_bytes(b'{"a":"\xff\xc2\x9b"}') == '{"a":"\ufffd\\u009b"}'.encode()
