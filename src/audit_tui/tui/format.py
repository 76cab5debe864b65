"""Pure formatting for the browser: times, actor markers, counts, fitting text to cells.

Everything here takes untrusted values and returns :class:`rich.text.Text` (never markup) or
plain ``str`` that went through :func:`audit_tui.safe.clean`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from audit_tui.model import Row
from audit_tui.safe import ELLIPSIS, clean

# Longest value a cell ever formats: a table cell is narrower than this, and cutting first keeps
# pathological (megabyte) values cheap.
CELL_LIMIT = 300

MARKERS = {
    "system": "⚙ ",
    "service_account": "⚙ ",
    "service": "⚙ ",
    "api_key": "🔑 ",
    "ip": "⌁ ",  # known only by the address it called from
}


def marker(kind: str) -> str:
    """A short visible prefix for machine actors (system accounts, API keys) and for an actor
    known only by its IP address."""
    return MARKERS.get(kind.lower(), "") if kind else ""


def format_time(ms: int, utc: bool = True) -> str:
    """``2026-11-20 14:03:22`` in UTC, or in the local time zone."""
    try:
        dt = datetime.fromtimestamp(ms / 1000, UTC)
        if not utc:
            dt = dt.astimezone()
    except (OverflowError, OSError, ValueError):
        return "(invalid time)"
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def thousands(n: int) -> str:
    return f"{n:,}"


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells with an ellipsis, padded with spaces."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length <= width:
        return text + " " * (width - length)
    return set_cell_size(text, width - 1) + ELLIPSIS


def actor_text(row: Row) -> Text:
    """``⚙ scheduler`` / ``🔑 terraform`` / ``Olga Becker olga@acme.com`` (email dimmed)."""
    name = clean(row.actor_name or row.actor_email or row.actor_id or "(unknown)", CELL_LIMIT)
    text = Text()
    mark = marker(row.actor_type)
    if mark:
        text.append(mark, "bold")
    text.append(name)
    if row.actor_as:  # impersonation: a fact of this event, said in its row
        text.append(" as ", "dim")
        text.append(clean(row.actor_as, CELL_LIMIT), "bold")
    if row.actor_email and row.actor_name:
        text.append(" " + clean(row.actor_email, CELL_LIMIT), "dim")
    return text


def resource_text(row: Row) -> Text:
    """``ticket-responder`` with its type dimmed: ``ticket-responder agent``."""
    name = clean(row.resource_name or row.resource_id or "—", CELL_LIMIT)
    text = Text(name)
    if row.resource_type:
        text.append(" " + clean(row.resource_type, CELL_LIMIT), "dim")
    return text


def plain_text(value: str, empty: str = "—") -> Text:
    cleaned = clean(value, CELL_LIMIT)
    return Text(cleaned) if cleaned else Text(empty, "dim")
