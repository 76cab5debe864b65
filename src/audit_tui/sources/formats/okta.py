"""Okta System Log events (``/api/v1/logs``, event hooks, exports)."""

from __future__ import annotations

from audit_tui.sources.formats._common import (
    Rec,
    as_dict,
    canon_of,
    email_of,
    first_item,
    ip_actor,
    named,
    native_time,
    party,
    recase,
    text_or_none,
    view,
)

CANON = canon_of(
    *"""
    eventType displayMessage legacyEventType alternateId displayName authenticationContext
    debugContext securityContext ipAddress userAgent rawUserAgent externalSessionId
    actorId actorName actorAlternateId actorDisplayName actorType sourceIP clientIpAddress
""".split()
)
# the flat spelling of the actor block (a data-lake export that flattened the columns)
_FLAT_ACTOR = ("actorId", "actorName", "actorAlternateId", "actorDisplayName")
_FLAT_HINTS = frozenset((*_FLAT_ACTOR, *(k.lower() for k in _FLAT_ACTOR)))
_ACTOR_TYPES = {"User": "user", "SystemPrincipal": "system", "PublicClientApp": "app"}


def match(rec: Rec) -> bool:
    if "eventType" not in rec and "eventtype" not in rec:
        return False
    if "published" in rec:
        return True
    # flattened (actorId, actorName...), time in the export's own field
    return not _FLAT_HINTS.isdisjoint(rec)


def _party(value: Rec, types: dict[str, str] | None = None) -> Rec:
    if not value:
        return {}
    alt = text_or_none(value.get("alternateId"))
    kind = text_or_none(value.get("type"))
    if types is not None and kind is not None:
        kind = types.get(kind, kind)
    return party(
        text_or_none(value.get("id")),
        text_or_none(value.get("displayName")) or alt,
        email_of(alt),
        kind,
    )


def _actor(rec: Rec, client: Rec) -> Rec:
    """The actor block; its flat columns; the client's IP address."""
    actor = _party(as_dict(rec.get("actor")), _ACTOR_TYPES)
    if named(actor):
        return actor
    alt = text_or_none(rec.get("actorAlternateId"))
    name = text_or_none(rec.get("actorName")) or text_or_none(rec.get("actorDisplayName")) or alt
    aid = text_or_none(rec.get("actorId"))
    if aid is not None or name is not None:
        kind = text_or_none(rec.get("actorType"))
        return party(
            aid,
            name,
            email_of(alt) or email_of(name),
            _ACTOR_TYPES.get(kind, kind) if kind is not None else None,
        )
    return ip_actor(client_ip(rec, client)) or actor


def client_ip(rec: Rec, client: Rec) -> str | None:
    return (
        text_or_none(client.get("ipAddress"))
        or text_or_none(rec.get("sourceIP"))
        or text_or_none(rec.get("clientIpAddress"))
    )


def normalise(rec: Rec) -> Rec:
    if "eventType" not in rec and "eventtype" in rec:
        rec = recase(rec, CANON)
    time = rec.get("published")
    client = as_dict(rec.get("client"))
    return view(
        native_time(time),
        rec.get("eventType"),
        id=rec.get("uuid"),
        resource=_party(first_item(rec.get("target"))) or None,
        organization=None,
        workspace=None,
        actor=_actor(rec, client),
        metadata={
            "message": rec.get("displayMessage"),
            "outcome": as_dict(rec.get("outcome")).get("result"),
            "severity": rec.get("severity"),
            "client_ip": client_ip(rec, client),
        },
    )
