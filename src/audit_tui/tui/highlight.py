"""Matches you can see: the text a search matched, highlighted in the table's cells and in the
detail view's JSON.

A :class:`Highlighter` is made once per query from the terms that must hold
(:func:`audit_tui.searchlang.marks`): words and phrases light up in every cell, a field term's
value only in its column (``actor:`` in Actor, ``type:`` in Event Type…), and every term's text
in the JSON. A row whose match shows in none of its cells (it matched in the metadata, or in an
id the table does not show) gets a marker at its left edge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.style import Style
from rich.text import Text

from audit_tui import searchlang

# the table's column for each field of the language (``id`` has no column)
FIELD_COLUMNS = {
    "actor": "actor",
    "type": "event_type",
    "resource": "resource",
    "workspace": "workspace",
    "org": "organization",
}
MATCH = Style(color="black", bgcolor="yellow", bold=True)
CURRENT = Style(color="black", bgcolor="bright_cyan", bold=True)
# the same, as Textual content styles (the detail view's JSON)
MATCH_STYLE = "bold black on yellow"
CURRENT_STYLE = "bold black on cyan"
MARKER = "≡"  # at a row's left edge: it matched in a value the row does not show


def _regex(needles: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for every needle, longest first (so a phrase wins over a
    word inside it)."""
    parts = sorted({n for n in needles if n.strip()}, key=len, reverse=True)
    if not parts:
        return None
    return re.compile("|".join(re.escape(p) for p in parts), re.IGNORECASE)


class Highlighter:
    """What to light up for one query."""

    def __init__(self, expr: searchlang.Expr) -> None:
        found = searchlang.marks(expr)
        self.active = bool(found)
        columns: dict[str, list[str]] = {
            key: list(found.words) for key in (*FIELD_COLUMNS.values(),)
        }
        for name, value in found.fields:
            column = FIELD_COLUMNS.get(name)
            if column is not None:
                columns[column].append(value)
        self.columns = {key: _regex(needles) for key, needles in columns.items()}
        self.words = _regex(found.words)  # the columns added from the data
        self.json = _regex(
            [*found.words, *(v for _, v in found.fields), *(v for _, v in found.paths)]
        )

    def cell(self, key: str, text: Text) -> bool:
        """Light up the matches in the cell of column ``key``; True when there was one."""
        pattern = self.columns.get(key, self.words)
        if pattern is None:
            return False
        return text.highlight_regex(pattern, MATCH) > 0

    def lines(self, text: str) -> list[tuple[int, int, int]]:
        """(line, start, end) of every match in ``text`` (the detail view's JSON), in order."""
        if self.json is None:
            return []
        out: list[tuple[int, int, int]] = []
        for number, line in enumerate(text.split("\n")):
            out += [(number, m.start(), m.end()) for m in self.json.finditer(line)]
        return out


NONE = Highlighter(searchlang.EMPTY)
