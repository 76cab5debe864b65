"""Pivots: from one event to "everything with this actor" (or resource, workspace, event type),
or the 15 minutes around it. Each is a term of the search language, so it shows in the search
box and can be edited; shift of the key excludes instead (``-actor:"…"``)."""

from __future__ import annotations

from audit_tui.model import Row, iso_ms
from audit_tui.searchlang import field_term

AROUND_MS = 15 * 60_000
NAMES = {"actor": "actor", "resource": "resource", "workspace": "workspace", "type": "event type"}


def value_of(kind: str, row: Row) -> str:
    """What a pivot searches for: the most specific value the field holds (an id before a
    name), as the search language's field term contains it."""
    if kind == "actor":
        return row.actor_id or row.actor_email or row.actor_name
    if kind == "resource":
        return row.resource_id or row.resource_name
    if kind == "workspace":
        return row.workspace_id or row.workspace
    return row.event_type


def term(kind: str, row: Row, exclude: bool = False) -> str | None:
    """``actor:"usr_42"`` (``-actor:"usr_42"``); None when the event has no such value (an
    organization-level event has no workspace)."""
    value = value_of(kind, row)
    if not value.strip():
        return None
    name = "type" if kind == "type" else kind
    return field_term(name, value, exclude)


def around(ms: int) -> tuple[str, str]:
    """The custom range of the 15 minutes before and after ``ms`` (until is exclusive: the
    event's own millisecond is inside)."""
    return iso_ms(ms - AROUND_MS), iso_ms(ms + AROUND_MS + 1)
