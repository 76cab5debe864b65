"""The search history: the last 100 searches, kept in the state dir across sessions.

``search-history.json`` beside the log (``$AUDIT_TUI_STATE_DIR``, else the platform's user
state dir): a JSON list of texts, oldest first. A text that holds a token the process knows
(``$AUDIT_TUI_TOKEN`` or any ``$AUDIT_TUI_TOKEN_*``) is never kept. The file is replaced
atomically; a missing or unreadable file is an empty history, and a file that cannot be written
costs only the history, never the session.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import orjson

from audit_tui.tui.failures import log_path

LIMIT = 100
NAME = "search-history.json"


def history_path() -> Path:
    return log_path().parent / NAME


def _secrets() -> list[str]:
    return [
        v
        for k, v in os.environ.items()
        if (k == "AUDIT_TUI_TOKEN" or k.startswith("AUDIT_TUI_TOKEN_") or "PASSWORD" in k)
        and len(v) >= 4
    ]


class SearchHistory:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or history_path()
        self.entries: list[str] = self._load()

    def _load(self) -> list[str]:
        try:
            data = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return []
        if not isinstance(data, list):
            return []
        return [t for t in data if isinstance(t, str) and t.strip()][-LIMIT:]

    def add(self, text: str) -> None:
        """Remember ``text`` as the newest search (once: an older copy moves up)."""
        text = text.strip()
        if not text or any(secret in text for secret in _secrets()):
            return
        if self.entries and self.entries[-1] == text:
            return
        self.entries = [t for t in self.entries if t != text][-(LIMIT - 1) :] + [text]
        self._save()

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".history-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(orjson.dumps(self.entries))
                os.replace(tmp, self.path)
            except OSError:
                os.unlink(tmp)
                raise
        except OSError:
            pass  # no history this time; the search itself is unaffected
