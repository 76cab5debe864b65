"""Facet identity, stated once: which names select an actor, an event type or a workspace, and
how a facet's entry reads in a list.

The store (dictionary keys of a file's events) and the remote pager (events loaded from a
server) both count facets with these rules, so a value reads and selects the same either way.
A party is given as a :data:`PartyKey`: ``(id, name, email, type)``, ``None`` where absent; a
:class:`~audit_tui.model.Party` is one. An event type is given as its text.
"""

from __future__ import annotations

from typing import Any

from audit_tui.model import NOBODY, Party

PartyKey = tuple[Any, Any, Any, Any]  # (id, name, email, type), None where absent


def fold(value: str) -> str:
    """The form in which a selection value is compared: trimmed, lower case."""
    return value.strip().lower()


def party_of(key: PartyKey | None) -> Party:
    """The :class:`Party` of a key (absent parts become ``""``)."""
    if key is None:
        return NOBODY
    return Party(*(("" if v is None else str(v)) for v in key))


def selection_names(facet: str, key: Any) -> set[str]:
    """The selection values (folded) that select one facet entry: an event type by its text,
    an actor by id, name or email, a workspace by id or name. An entry with no identity at all
    is selected by the empty value."""
    if facet == "event_types":
        return {fold(str(key))}
    p = party_of(key)
    names = {fold(p.id), fold(p.name)}
    if facet == "actors":
        names.add(fold(p.email))
    names.discard("")
    return names or {""}


def describe(facet: str, key: Any) -> tuple[str, str, str]:
    """(value, label, kind) of one facet entry: what goes into the query, what the user reads
    (unsanitised), and an actor's type."""
    if facet == "event_types":
        return str(key), str(key), ""
    p = party_of(key)
    if facet == "actors":
        label = p.name or p.email or p.id or "(unknown)"
        if p.email and p.name:
            label = f"{p.name} <{p.email}>"
        return p.id or p.email or p.name, label, p.type
    return p.id or p.name, p.name or p.id or "(organization level)", ""
