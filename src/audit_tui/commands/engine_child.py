"""The embedded engine in a child process: ``audit-tui chdb:PATH`` browses a table that an
``audit-tui serve`` child process answers, so the browsing process never loads chDB.

chDB is ClickHouse as one shared library: importing it maps ~230 MB of its code into the
process, and every query's working memory (hash tables, read buffers: tens to hundreds of MB
at 10 million events) is taken in the process that runs it. In a child, both are the child's;
the browser holds what it shows, as it does with a ``clickhouse://`` server. The child listens
on 127.0.0.1 on a port of its own with a one-time token (passed in its environment, never on a
command line), and ends with the browser.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

CHILD_TOKEN_ENV = "AUDIT_TUI_CHILD_TOKEN"
_READY = re.compile(r" at (http://\S+) ")
PR_SET_PDEATHSIG = 1


class ChildError(Exception):
    """The child did not start serving: what it said."""


def _end_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Linux: the child gets SIGTERM when the browser's process ends, however it ends."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


@contextmanager
def served_in_child(source: str, table: str) -> Iterator[tuple[str, str]]:
    """Start ``audit-tui serve SOURCE --table TABLE`` in a child process; yields (its URL,
    its token) once it answers requests, and stops it on leaving. ChildError (with what the
    child said on stderr) when it ends before serving."""
    token = secrets.token_urlsafe(24)
    env = {**os.environ, CHILD_TOKEN_ENV: token}
    cmd = [sys.executable, "-m", "audit_tui", "serve", source, "--table", table, "--port", "0"]
    cmd += ["--token-env", CHILD_TOKEN_ENV]
    with tempfile.TemporaryFile() as said:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=said,
            env=env,
            preexec_fn=_end_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        try:
            assert proc.stdout is not None
            ready = proc.stdout.readline().decode("utf-8", "replace")  # the URL, or EOF
            m = _READY.search(ready)
            if m is None:
                proc.wait(30)
                said.seek(0)
                lines = said.read().decode("utf-8", "replace").strip().splitlines()
                why = [line.removeprefix("audit-tui: ") for line in lines]
                why = [line for line in why if not line.startswith("loading ")]
                raise ChildError(
                    "\n".join(why[-5:]) or f"the engine's process ended ({proc.returncode})"
                )
            out = proc.stdout
            threading.Thread(target=lambda: out.read(), daemon=True).start()  # never blocks it
            yield m.group(1), token
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
