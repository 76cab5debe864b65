"""The search box: an Input whose ``up``/``down`` walk the search history."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

from audit_tui.tui.history import SearchHistory


class SearchBox(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Older search", show=False, id="search.older"),
        Binding("down", "history(1)", "Newer search", show=False, id="search.newer"),
    ]

    def __init__(self, value: str, history: SearchHistory, **kwargs: object) -> None:
        super().__init__(value, **kwargs)  # type: ignore[arg-type]
        self.history = history
        self._at: int | None = None  # the entry shown, None: the user's own text
        self._draft = ""

    def action_history(self, delta: int) -> None:
        entries = self.history.entries
        if not entries:
            return
        if self._at is None:
            if delta > 0:
                return
            self._draft = self.value
            at = len(entries) - 1
        else:
            at = self._at + delta
        if at < 0:
            self.app.bell()
            return
        if at >= len(entries):
            self._at = None
            self._set(self._draft)
            return
        self._at = at
        self._set(entries[at])

    def _set(self, text: str) -> None:
        self.value = text
        self.cursor_position = len(text)

    def remember(self) -> None:
        """The text is a search the user ran: keep it, and start from the newest again."""
        self.history.add(self.value)
        self._at = None
