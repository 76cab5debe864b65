"""Okta System Log events (``/api/v1/logs``, event hooks, exports)."""

from __future__ import annotations

from audit_tui.sources.formats._common import (
    Rec,
    as_dict,
    canon_of,
    email_of,
    first_item,
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
""".split()
)
_ACTOR_TYPES = {"User": "user", "SystemPrincipal": "system", "PublicClientApp": "app"}


def match(rec: Rec) -> bool:
    if "published" not in rec:
        return False
    return "eventType" in rec or "eventtype" in rec


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
        actor=_party(as_dict(rec.get("actor")), _ACTOR_TYPES),
        metadata={
            "message": rec.get("displayMessage"),
            "outcome": as_dict(rec.get("outcome")).get("result"),
            "severity": rec.get("severity"),
            "client_ip": client.get("ipAddress"),
        },
    )
