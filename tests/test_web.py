"""``audit-tui web``: the browser in a web page, driven in the system's Chromium.

The server runs for real (``audit-tui web … --port 0`` in a subprocess, with a terminal of its
own as a user starts it); Chromium opens the page, the table is read from the page's terminal
and keys are typed into it (``tests/webpage.py``). Requests to other hosts are blocked: the
page must work offline. A missing Chromium or Playwright fails these tests (.ci/run installs
Chromium), never skips them.
"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webpage import Page, WebServer, chromium, count_shown, web_server

from audit_tui.commands.browse import browse_parser
from audit_tui.commands.main import main
from audit_tui.commands.web import page_command, web_parser
from audit_tui.tui.webserver import allowed_hosts

NOW = "2026-11-26T15:42:00+00:00"
TOKEN = "tok_web_Zq8wX3vN5mR2pL7kT9cB4hJ6"  # a token no event or page would hold by chance


def _query(*args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "audit_tui", "query", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def _count(*args: str) -> int:
    return int(_query(*args, "--count").strip())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def demo_server() -> Iterator[WebServer]:
    with web_server("--demo", "--now", NOW) as server:
        yield server


# -- the page, in a browser ----------------------------------------------------------------


def test_the_page_shows_the_table_and_a_search_changes_the_count(
    browser: Any, demo_server: WebServer
) -> None:
    total = _count("--demo", "--now", NOW)
    invoices = _count("--demo", "--now", NOW, "--search", "invoice")
    assert 0 < invoices < total
    newest = json.loads(_query("--demo", "--now", NOW, "--limit", "1", "--format", "jsonl"))
    page = Page(browser, demo_server.url)
    try:
        page.open()
        assert page.page.title() == "audit-tui · the bundled sample"
        screen = page.wait_for(lambda s: count_shown(s) == (total, total))
        assert "Audited At (UTC)" in screen and "Event Type" in screen
        # the newest event of the sample is the first row
        assert newest["audited_at"][:19].replace("T", " ") in screen
        assert newest["event_type"] in screen

        page.search("invoice")
        screen = page.wait_for(lambda s: count_shown(s) == (invoices, total))
        assert "invoice" in screen
        assert page.external == []  # nothing asked of any other host (fonts included)
    finally:
        page.close()


def test_the_page_copies_an_event_through_osc52_to_the_browsers_clipboard(
    browser: Any, demo_server: WebServer
) -> None:
    newest = json.loads(_query("--demo", "--now", NOW, "--limit", "1", "--format", "jsonl"))
    page = Page(browser, demo_server.url)
    try:
        page.context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin=demo_server.url
        )
        page.open()
        page.wait_for(lambda s: count_shown(s) is not None)
        page.keys("Enter")  # the newest event's JSON
        page.wait_text(newest["id"])
        page.keys("c")
        deadline_text = page.wait_for(lambda s: "Copied" in s or "copied" in s, timeout=20)
        assert deadline_text
        copied = page.page.evaluate("navigator.clipboard.readText()")
        assert json.loads(copied) == newest
    finally:
        page.close()


def test_a_page_sees_none_of_the_hosts_saved_views(browser: Any, tmp_path: Path) -> None:
    """A visitor neither reads nor deletes the views of the user who started the server;
    ``--view`` still opens one of them for every page."""
    (tmp_path / "views.toml").write_text(
        '[views."incident 42 secret"]\nsearch = "invoice"\n\n'
        '[views."other"]\nsource = "/var/log/elsewhere.jsonl"\n',
        encoding="utf-8",
    )
    invoices = _count("--demo", "--now", NOW, "--search", "invoice")
    env = {"AUDIT_TUI_CONFIG_DIR": str(tmp_path)}
    with web_server("--view", "incident 42 secret", "--now", NOW, env=env) as server:
        page = Page(browser, server.url)
        try:
            page.open()
            page.wait_for(lambda s: (count_shown(s) or (0,))[0] == invoices)
            page.page.focus(".xterm-helper-textarea")
            page.wait_text("⏎ Details")
            page.keys("v")
            screen = page.wait_text("No saved view yet")
            assert "incident 42" not in screen and "elsewhere" not in screen
        finally:
            page.close()
    assert "incident 42 secret" in (tmp_path / "views.toml").read_text(encoding="utf-8")


def test_pages_past_the_limit_say_so(browser: Any) -> None:
    with web_server("--demo", "--now", NOW, "--max-pages", "1") as server:
        first, second = Page(browser, server.url), Page(browser, server.url)
        try:
            first.open()
            first.wait_for(lambda s: count_shown(s) is not None)
            second.open()
            screen = second.wait_text("too many pages open")
            assert "--max-pages 1" in screen
            assert count_shown(second.screen()) is None
        finally:
            first.close()
            second.close()
    assert server.proc.returncode == 0


def test_an_export_in_a_page_is_written_in_the_export_dir_and_downloaded(
    browser: Any, tmp_path: Path
) -> None:
    invoices = _count("--demo", "--now", NOW, "--search", "invoice")
    with web_server(
        "--demo", "--now", NOW, "--search", "invoice", "--export-dir", str(tmp_path)
    ) as server:
        page = Page(browser, server.url)
        try:
            page.open()
            page.wait_for(lambda s: count_shown(s) is not None)
            page.page.focus(".xterm-helper-textarea")
            page.wait_text("⏎ Details")
            # a folder in the name is refused: a visitor writes nowhere else on the host
            page.keys("s")
            page.wait_text("with its manifest audit-export-")  # the dialog is up, focused
            page.keys("Tab", "Control+u")  # the file name: its default cleared
            page.wait_text("give a file name")
            page.type("../escaped.csv")
            page.wait_text("manifest escaped.csv.manifest.json")
            page.keys("Enter")
            page.wait_text("give a file name without a")
            page.keys("Control+u")
            page.wait_for(lambda s: "escaped" not in s)
            page.type("invoices.csv")
            page.wait_text("manifest invoices.csv.manifest.json")
            page.keys("Enter")
            page.wait_text("the browser downloads it")
            page.wait_for(lambda s: len(page.downloads) == 2, timeout=30)
        finally:
            page.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "invoices.csv",
        "invoices.csv.manifest.json",
    ]
    assert not (tmp_path.parent / "escaped.csv").exists()
    written = (tmp_path / "invoices.csv").read_bytes()
    assert written.count(b"\n") == invoices + 1  # the header and every match
    bodies = {disposition: body for disposition, body in page.downloads}
    assert bodies["attachment; filename=invoices.csv"] == written
    manifest = json.loads(bodies["attachment; filename=invoices.csv.manifest.json"])
    assert manifest["count"] == invoices


# -- secrets ---------------------------------------------------------------------------------


@pytest.fixture
def api_url(tmp_path: Path) -> Iterator[str]:
    """``audit-tui serve --demo`` on a free port, answering only ``TOKEN``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit_tui", "serve", "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "AUDIT_TUI_TOKEN": TOKEN},
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert " at http://127.0.0.1:" in line, line
        yield line.split(" at ", 1)[1].split()[0]
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_token_reaches_the_pages_through_the_environment_only(browser: Any, api_url: str) -> None:
    token = TOKEN.encode()
    env = {"AUDIT_TUI_TOKEN": TOKEN}
    expected = int(_query(api_url, "--search", "invoice", "--count", env=env))
    assert expected > 0
    with web_server(api_url, "--search", "invoice", env={"AUDIT_TUI_TOKEN": TOKEN}) as server:
        page = Page(browser, server.url)
        try:
            page.open()
            # the events arrived: the page's audit-tui sent the token to the API
            screen = page.wait_text(f"{expected:,} events")
            assert "invoice-bot" in screen
            pages = server.descendants()
            assert pages, "no page process"
            assert not any(token in _cmdline(pid) for pid in [server.proc.pid, *pages])
            assert any(token in Path(f"/proc/{pid}/environ").read_bytes() for pid in pages)
            html = page.page.content()
            connection = http.client.HTTPConnection(server.url.removeprefix("http://"))
            connection.request("GET", "/")
            served = connection.getresponse().read()
            assert TOKEN not in html and token not in served
            assert TOKEN not in page.page.url
            assert not any(TOKEN in url for url in page.requested)
            assert not any(token in frame for frame in page.frames)
        finally:
            page.close()
    assert TOKEN not in "".join(server.output)


def test_the_page_command_names_no_secret_and_reparses_to_the_same_view(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    hostile = 'it\'s "quoted" $(rm -rf ~) `x` ; | & -dash\ttab'
    args = web_parser().parse_args(
        [
            "events file.jsonl",
            "--search",
            hostile,
            "--actor=-ada",
            "--actor",
            "bob; rm",
            "--event-type",
            "Agent Deleted",
            "--since=-3d",
            "--sort",
            "actor:desc",
            "--columns",
            "actor,path:metadata.ip",
            "--local-time",
            "--follow",
            "--password-file",
            "pw.txt",
            "--now",
            "2026-11-20T12:00Z",
            "--port",
            "9999",
        ]
    )
    command = shlex.split(page_command(args))
    assert command[:4] == ["exec", sys.executable, "-m", "audit_tui"]
    again = browse_parser().parse_args(command[4:])
    assert again.source == str(tmp_path / "events file.jsonl")
    assert again.search == hostile
    assert again.actor == ["-ada", "bob; rm"]
    assert again.event_type == ["Agent Deleted"]
    assert again.since == "-3d"
    assert (again.sort, again.columns, again.local_time, again.follow) == (
        "actor:desc",
        "actor,path:metadata.ip",
        True,
        True,
    )
    assert again.password_file == str(tmp_path / "pw.txt")
    assert again.now == "2026-11-20T12:00:00+00:00"
    assert "9999" not in command and "--port" not in " ".join(command)


def test_a_chdb_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = web_parser().parse_args(["chdb:./audit.db", "--table", "t2"])
    command = shlex.split(page_command(args))
    assert command[4:] == [f"chdb:{tmp_path / 'audit.db'}", "--table=t2"]


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-"], "standard input can be read only once"),
        (["missing.jsonl"], "missing.jsonl: cannot read it"),
        (["--demo", "--sort", "nope"], "sort"),
        (["--demo", "--columns", "nope"], "unknown column nope"),
        (["--demo", "--search", '"unbalanced'], "quote"),
        (["--demo", "--port", "70000"], "--port takes 0..65535"),
        (["--demo", "--max-pages", "0"], "--max-pages"),
        (["--demo", "--public-url", "audit.example.com"], "--public-url"),
        (["http://127.0.0.1:9/x", "--token-file", "missing-token"], "missing-token"),
    ],
)
def test_what_a_page_would_refuse_is_said_once_up_front(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["web", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_named_pipe_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "events"
    os.mkfifo(fifo)
    assert main(["web", str(fifo)]) == 2
    assert "is a pipe, read only once" in capsys.readouterr().err


def test_serving_off_loopback_warns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # run_web goes into the export dir and sets the pages'
    monkeypatch.setenv("AUDIT_TUI_CONFIG_DIR", str(tmp_path))  # views dir: both restored
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "audit_tui.tui.webserver.serve_pages",
        lambda command, **kwargs: served.append(kwargs) or 0,
    )
    assert main(["web", "--demo", "--host", "0.0.0.0"]) == 0
    assert served and served[0]["host"] == "0.0.0.0"
    err = capsys.readouterr().err
    assert "warning: serving on 0.0.0.0" in err and "no login, no TLS" in err
    for loopback in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert main(["web", "--demo", "--host", loopback]) == 0
        assert "warning" not in capsys.readouterr().err


def test_the_hosts_a_server_answers() -> None:
    assert allowed_hosts("127.0.0.1", 8078, None) == {
        "127.0.0.1:8078",
        "localhost:8078",
        "[::1]:8078",
    }
    assert allowed_hosts("10.1.2.3", 80, None) == {"10.1.2.3:80", "10.1.2.3"}
    assert allowed_hosts("0.0.0.0", 8078, None) is None
    assert allowed_hosts("0.0.0.0", 8078, "https://audit.example.com/") == {"audit.example.com"}


def test_only_requests_for_this_server_and_websockets_from_its_pages(
    demo_server: WebServer,
) -> None:
    address = demo_server.url.removeprefix("http://")

    def get(path: str, headers: dict[str, str]) -> int:
        connection = http.client.HTTPConnection(address, timeout=10)
        connection.request("GET", path, headers=headers)
        status = connection.getresponse().status
        connection.close()
        return status

    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    assert get("/", {}) == 200
    # a site re-binding its own name to 127.0.0.1 sends its name as Host
    assert get("/", {"Host": "attacker.example:" + address.rsplit(":", 1)[1]}) == 421
    # any site may open a WebSocket to 127.0.0.1: its Origin is not this server's
    assert get("/ws", {**upgrade, "Origin": "http://attacker.example"}) == 403
    assert get("/ws", upgrade) == 403  # no Origin: not a browser page of this server
    before = len(demo_server.descendants())
    assert len(demo_server.descendants()) == before  # no page process was started


def test_the_server_stops_its_pages_on_sigterm(browser: Any) -> None:
    with web_server("--demo", "--now", NOW) as server:
        page = Page(browser, server.url)
        page.open()
        page.wait_for(lambda s: count_shown(s) is not None)
        pages = server.descendants()
        assert pages
        done = threading.Event()
        threading.Thread(target=lambda: (server.proc.wait(30), done.set()), daemon=True).start()
    assert done.wait(30)
    page.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_state(pid) != b"Z" for pid in pages):
        time.sleep(0.1)
    assert [pid for pid in pages if _state(pid) != b"Z"] == []


def _state(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return b"Z"
