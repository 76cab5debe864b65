"""Drive ``audit-tui web`` in the system's Chromium (Playwright): start the server, open a page,
read the terminal's screen, type into it. Used by tests/test_web.py, bench/bench_web.py and
scripts/screenshots.py.

The page draws the terminal on a canvas (xterm.js), so its text is not in the DOM. The page's
own script (textual-serve's ``textual.js``) is served to the browser with one change: its
``Terminal`` is also kept as ``window.auditTerminal``, and the rows are read from that
terminal's buffer, which is what the canvas shows. Requests to any other host are blocked
and recorded: the page must work offline.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import re
import signal
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"

SCREEN_JS = """() => {
  const t = window.auditTerminal;
  if (!t) return null;
  const b = t.buffer.active, rows = [];
  for (let y = 0; y < t.rows; y++) {
    const line = b.getLine(b.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""


class WebServer:
    """A running ``audit-tui web``: its URL, and what it printed (read in the background)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []  # stdout and stderr, as read so far
        for stream in (proc.stdout, proc.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()
        self.url = self._wait_url()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.output.append(line)
            self.lines.put(line)

    def _wait_url(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            found = re.search(r" at (http://\S+?)/?$", line.strip())
            if found:
                return found.group(1)
        raise AssertionError(f"audit-tui web did not start: {''.join(self.output)!r}")

    def descendants(self) -> list[int]:
        """The pids of every process the server started (the pages), from /proc."""
        parents: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
        found: list[int] = []
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            for child in parents.get(pid, []):
                found.append(child)
                todo.append(child)
        return found


def _controlling_terminal(fd: int) -> Callable[[], None]:
    def attach() -> None:  # as when a user starts the server from a terminal
        os.setsid()
        fcntl.ioctl(fd, termios.TIOCSCTTY, 0)

    return attach


@contextlib.contextmanager
def web_server(*args: str, env: dict[str, str] | None = None) -> Iterator[WebServer]:
    """Run ``audit-tui web ARGS --port 0`` with a terminal of its own (a pty as its
    controlling terminal and stdin, as a user starts it), until the block ends (SIGTERM)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit_tui", "web", *args, "--port", "0"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        preexec_fn=_controlling_terminal(slave),
        pass_fds=(slave,),
    )
    os.close(slave)
    try:
        yield WebServer(proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        os.close(master)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """The system's Chromium. Missing is a failure, not a skip (.ci/run installs it)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


class Page:
    """One page of the server at ``url``: its requests to other hosts are blocked and kept in
    ``external``, the WebSocket's frames from the server in ``frames``."""

    def __init__(self, browser: Any, url: str, width: int = 1400, height: int = 900) -> None:
        self.url = url
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.external: list[str] = []
        self.requested: list[str] = []
        self.frames: list[bytes] = []
        self.downloads: list[tuple[str, bytes]] = []  # (Content-Disposition, body)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("websocket", self._websocket)

    def _route(self, route: Any) -> None:
        address = route.request.url
        self.requested.append(address)
        if not address.startswith(self.url + "/"):
            self.external.append(address)
            route.abort()
        elif "/download/" in address:  # an export delivered to the browser: keep its bytes
            response = route.fetch()
            self.downloads.append(
                (response.headers.get("content-disposition", ""), response.body())
            )
            route.fulfill(response=response)
        elif address.endswith("/static/js/textual.js"):
            response = route.fetch()
            script, found = re.subn(
                r"this\.terminal=new (\w+)\.Terminal\(",
                r"this.terminal=window.auditTerminal=new \1.Terminal(",
                response.text(),
            )
            assert found == 1, "textual.js changed: its Terminal is not where it was"
            route.fulfill(response=response, body=script)
        else:
            route.continue_()

    def _websocket(self, ws: Any) -> None:
        def received(payload: Any) -> None:
            self.frames.append(payload if isinstance(payload, bytes) else payload.encode())

        ws.on("framereceived", received)

    def open(self, path: str = "/") -> None:
        self.page.goto(self.url + path)

    def screen(self) -> str:
        return str(self.page.evaluate(SCREEN_JS) or "")

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 60) -> str:
        """The screen once ``predicate`` holds for it; fails with the last screen."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if predicate(text):
                return text
            time.sleep(0.05)
        raise AssertionError(f"the page never showed what was expected; last screen:\n{text}")

    def wait_text(self, text: str, timeout: float = 60) -> str:
        return self.wait_for(lambda screen: text in screen, timeout)

    def keys(self, *keys: str) -> None:
        """Press keys in the terminal (focused without a click: a click is a mouse event in
        the app)."""
        self.page.focus(".xterm-helper-textarea")
        for key in keys:
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.focus(".xterm-helper-textarea")
        self.page.keyboard.type(text)

    def search(self, text: str) -> str:
        """Type ``text`` into the search box, as a user does: ``/``, then the text once the box
        has the focus (the footer then shows the box's keys, not the table's). Keys sent in
        the same instant as ``/`` would reach the table: Textual moves the focus after the keys
        already queued. Returns the screen."""
        self.page.focus(".xterm-helper-textarea")
        self.wait_text("⏎ Details")  # the page has the focus, the table its keys
        self.keys("/")
        self.wait_for(lambda screen: "⏎ Details" not in screen)
        self.type(text)
        return self.wait_text(text)

    def close(self) -> None:
        self.context.close()


def count_shown(screen: str) -> tuple[int, int] | None:
    """The status line's "N of M events", as numbers."""
    found = re.search(r"([\d,]+) of ([\d,]+) events", screen)
    if not found:
        return None
    return int(found.group(1).replace(",", "")), int(found.group(2).replace(",", ""))
