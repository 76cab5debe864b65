"""Okta System Log events (``/api/v1/logs``, event hooks, exports)."""

from __future__ import annotations

from audit_tui.sources.formats._common import (
    Rec,
    canon_of,
    d,
    email_of,
    first_item,
    party,
    recase,
    s,
    view,
    when,
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
    alt = s(value.get("alternateId"))
    kind = s(value.get("type"))
    if types is not None and kind is not None:
        kind = types.get(kind, kind)
    return party(
        s(value.get("id")),
        s(value.get("displayName")) or alt,
        email_of(alt),
        kind,
    )


def normalise(rec: Rec) -> Rec:
    if "eventType" not in rec and "eventtype" in rec:
        rec = recase(rec, CANON)
    time = rec.get("published")
    client = d(rec.get("client"))
    return view(
        when(time),
        rec.get("eventType"),
        id=rec.get("uuid"),
        resource=_party(first_item(rec.get("target"))) or None,
        organization=None,
        workspace=None,
        actor=_party(d(rec.get("actor")), _ACTOR_TYPES),
        metadata={
            "message": rec.get("displayMessage"),
            "outcome": d(rec.get("outcome")).get("result"),
            "severity": rec.get("severity"),
            "client_ip": client.get("ipAddress"),
        },
    )
