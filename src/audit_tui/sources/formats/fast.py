"""The index's fast path for the high-volume foreign formats (Kubernetes audit, CloudTrail).

The loader's slow path parses a whole foreign line and builds its native view, though the index
only needs four things: time, type, actor and workspace. Here msgspec decodes just the top-level
keys that detection and those four read (a Kubernetes ``requestObject`` or a CloudTrail
``responseElements`` is skipped, not built), and the *same* functions the mappers use
(``k8s.core``, ``cloudtrail.core``) compute them. Anything unusual (Panther fields, wrappers,
lower-cased keys, other formats, a type msgspec rejects) returns None: the slow path decides.
The actor and time fallbacks (``docs/formats.md``) live in ``core`` too, so both paths agree.
"""

from __future__ import annotations

from typing import Any, TypedDict

import msgspec

from audit_tui.facets import PartyKey
from audit_tui.model import InvalidRecord, parse_time
from audit_tui.sources.formats import cloudtrail, k8s
from audit_tui.sources.formats._common import Rec, text_or_none

# every top-level key that detection reads before it can say "k8s" or "cloudtrail", and that
# k8s.core / cloudtrail.core read (values undecoded by type: Any keeps the mappers' own checks)
_KEYS = """
audited_at auditedAt p_log_type category
verb objectRef requestURI user auditID kind apiVersion impersonatedUser
requestReceivedTimestamp stageTimestamp timestamp metadata sourceIPs p_event_time
eventName eventname eventSource eventsource userIdentity useridentity awsRegion awsregion
eventTime eventType sourceIPAddress detail detail-type CloudTrailEvent EventName EventSource
""".split()
_Probe = TypedDict("_Probe", {k: Any for k in _KEYS}, total=False)  # type: ignore[misc]
_decode = msgspec.json.Decoder(_Probe).decode
_AKS = ("kube-audit", "kube-audit-admin")


def index_line(
    line: bytes, forced: str | None = None
) -> tuple[int, str, PartyKey | None, PartyKey | None] | None:
    """(epoch ms, event type, actor key, workspace key) of a Kubernetes or CloudTrail line, as
    the slow path (parse, ``normalise`` with the same ``forced`` format, read) would give them;
    None to take the slow path.

    Raises :class:`InvalidRecord` with the slow path's reason for a record it would skip."""
    try:
        rec: Rec = _decode(line)  # type: ignore[assignment]  # a TypedDict is a dict
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    if rec.get("audited_at") is not None or rec.get("auditedAt") is not None:
        return None
    if "p_log_type" in rec or "p_event_time" in rec or rec.get("category") in _AKS:
        return None
    if forced is None:
        if k8s.match(rec):
            time, etype, actor, ws, _ = k8s.core(rec)
        elif "eventName" in rec and cloudtrail.match(rec):
            time, etype, actor, ws = cloudtrail.core(rec)
        else:
            return None
    elif forced == "k8s":
        time, etype, actor, ws, _ = k8s.core(rec)
    elif forced == "cloudtrail" and "eventName" in rec:
        time, etype, actor, ws = cloudtrail.core(rec)
    else:
        return None
    if time is None:
        raise InvalidRecord("no audited_at")
    ms = parse_time(time)
    if not etype:
        raise InvalidRecord("no event_type")
    akey = (
        (actor.get("id"), actor.get("name"), actor.get("email"), actor.get("type"))
        if actor
        else None
    )
    text = text_or_none(ws)
    return ms, etype, akey, None if text is None else (text, text, None, None)
