"""The changes of the events in a store: their diffs, and a resource's previous change.

Builds on :mod:`audit_tui.diff` (one event's states) with what needs the other events: a
Kubernetes update is compared with the same object's previous event, and "previous change of
this resource" walks a resource's history back one change at a time (a deployment, its
rollback, the change before).

    found = event_changes(store, position)        # None when the event records no change
    older = previous_change(store, position)      # a sorted position, or None
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from audit_tui import diff
from audit_tui.model import Row, load_json
from audit_tui.query import Query
from audit_tui.sources.formats import detect

# event types (or verbs, or API names) that change what they name
_CHANGING = re.compile(
    r"\b(creat|updat|chang|modif|delet|remov|revok|deploy|roll|patch|put|set|enabl|disabl|"
    r"rotat|grant|assign|attach|detach|replac|renam|restor|publish|insert)",
    re.IGNORECASE,
)
_K8S_WRITES = frozenset({"create", "update", "patch", "delete", "deletecollection"})
SCAN_LIMIT = 20_000  # events of one resource looked through for its previous change


class Events(Protocol):
    """What is read of a source: a store (or anything searchable the same way)."""

    def raw(self, position: int) -> bytes: ...

    def row(self, position: int) -> Row: ...

    def search(self, query: Query, now: Any = None) -> Any: ...


@dataclass(frozen=True)
class EventChanges:
    """What one event changed: ``changes`` (paths, old and new values), the event's format and,
    for a comparison with an earlier event, that event's position."""

    changes: list[diff.Change]
    fmt: str
    against: int | None = None


def original(events: Events, position: int) -> dict[str, Any] | None:
    try:
        value = load_json(events.raw(position))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def format_of(record: dict[str, Any]) -> str:
    return detect(record)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def same_resource(a: Row, b: Row) -> bool:
    """The two events name the same resource (its type and id; its name when it has no id)."""
    if a.resource_id or b.resource_id:
        return a.resource_id == b.resource_id and a.resource_type == b.resource_type
    return bool(a.resource_name) and (a.resource_name, a.resource_type) == (
        b.resource_name,
        b.resource_type,
    )


def history(events: Events, position: int) -> list[int]:
    """Older events of the same resource as the event at ``position``, newest first (at
    most :data:`SCAN_LIMIT` looked at)."""
    row = events.row(position)
    key = row.resource_id or row.resource_name
    if not key:
        return []
    found = events.search(Query(text=f"resource:{_quote(key)}")).positions
    positions = np.asarray(found)
    start = int(np.searchsorted(positions, position, "right"))
    out = []
    for p in positions[start : start + SCAN_LIMIT].tolist():
        if same_resource(row, events.row(int(p))):
            out.append(int(p))
    return out


def _k8s_previous(events: Events, position: int) -> tuple[int, dict[str, Any]] | None:
    for p in history(events, position):
        rec = original(events, p)
        if rec is not None and diff.k8s_object(rec) is not None:
            return p, rec
    return None


def event_changes(events: Events, position: int) -> EventChanges | None:
    """The changes the event at ``position`` made, where its format records them."""
    rec = original(events, position)
    if rec is None:
        return None
    fmt = format_of(rec)
    if fmt in diff.NEEDS_PREVIOUS:
        if diff.k8s_object(rec) is None or rec.get("verb") not in ("update", "patch"):
            return None
        prev = _k8s_previous(events, position)
        if prev is None:
            return None
        found = diff.k8s_changes(rec, prev[1])
        return None if found is None else EventChanges(found, fmt, prev[0])
    changes = diff.changes_in(rec, fmt)
    return None if changes is None else EventChanges(changes, fmt)


def record_changes(raw: bytes) -> EventChanges | None:
    """The changes one record holds in itself (every format but Kubernetes, which needs the
    object's previous event: see :func:`event_changes`)."""
    try:
        rec = load_json(raw)
    except ValueError:
        return None
    if not isinstance(rec, dict):
        return None
    fmt = format_of(rec)
    found = diff.changes_in(rec, fmt)
    return None if found is None else EventChanges(found, fmt)


def changed_it(row: Row, raw: bytes) -> bool:
    """The event changed its resource: its type (a Kubernetes event: its verb) says so, or it
    records a diff."""
    try:
        rec = load_json(raw)
    except ValueError:
        rec = None
    if isinstance(rec, dict) and format_of(rec) == "k8s":  # "get deployments" changes nothing
        return rec.get("verb") in _K8S_WRITES
    if _CHANGING.search(row.event_type):
        return True
    return record_changes(raw) is not None


def is_change(events: Events, position: int) -> bool:
    return changed_it(events.row(position), events.raw(position))


def previous_change(events: Events, position: int) -> int | None:
    """The position of the resource's previous event that changed it (None: there is none)."""
    for p in history(events, position):
        if is_change(events, p):
            return p
    return None
