"""AI platform organisation audit logs: OpenAI (``/v1/organization/audit_logs``) and Anthropic
(the organisation activity feed). Both come as API list pages (``{"data": [...]}``, unwrapped by
the file loader) or single objects."""

from __future__ import annotations

from typing import Any

from audit_tui.sources.formats._common import Rec, d, email_of, party, s, scope, view, when

# -- OpenAI ----------------------------------------------------------------------------------


def match_openai(rec: Rec) -> bool:
    return "effective_at" in rec or rec.get("object") == "organization.audit_log"


def _openai_actor(actor: Rec) -> Rec:
    kind = s(actor.get("type"))
    if kind == "session":
        user = d(d(actor.get("session")).get("user"))
        email = s(user.get("email"))
        uid = s(user.get("id"))
        return party(uid or email, email or uid, email_of(email), "user")
    if kind == "api_key":
        key = d(actor.get("api_key"))
        user = d(key.get("user"))
        if user:
            email = s(user.get("email"))
            return party(
                s(user.get("id")) or email, email or s(user.get("id")), email_of(email), "api_key"
            )
        sa = d(key.get("service_account"))
        if sa:
            return party(
                s(sa.get("id")), s(sa.get("name")) or s(sa.get("id")), None, "service_account"
            )
        return party(s(key.get("id")), s(key.get("id")), None, "api_key")
    return party(None, None, None, kind) if kind else {}


def normalise_openai(rec: Rec) -> Rec:
    etype = s(rec.get("type"))
    payload: Any = None
    res: Rec | None = None
    if etype is not None:
        payload = rec.get(etype)
        if payload is None:
            payload = rec.get(etype.replace(".", "_"))
        payload = d(payload)
        kind = etype.rsplit(".", 1)[0] if "." in etype else etype
        if payload:
            data = d(payload.get("data"))
            pid = s(payload.get("id"))
            name = s(data.get("name")) or s(payload.get("name")) or pid
            res = party(pid, name, None, kind)
    project = d(rec.get("project"))
    actor = d(rec.get("actor"))
    session = d(actor.get("session"))
    return view(
        when(rec.get("effective_at")),
        etype,
        id=rec.get("id"),
        resource=res,
        organization=None,
        workspace=party(s(project.get("id")), s(project.get("name")) or s(project.get("id")))
        or None,
        actor=_openai_actor(actor),
        metadata={"ip": session.get("ip_address")},
    )


# -- Anthropic -------------------------------------------------------------------------------

_ANTHROPIC_ACTORS = {
    "user_actor": "user",
    "api_actor": "api_key",
    "unauthenticated_user_actor": "anonymous",
    "system_actor": "system",
}
_NOT_RESOURCE = frozenset(("id", "organization_id", "workspace_id", "user_id"))


def match_anthropic(rec: Rec) -> bool:
    if "created_at" not in rec or "type" not in rec:
        return False
    if "organization_id" in rec:
        return True
    kind = d(rec.get("actor")).get("type")
    return type(kind) is str and kind.endswith("_actor")


def _anthropic_actor(actor: Rec) -> Rec:
    if not actor:
        return {}
    raw = s(actor.get("type"))
    kind = _ANTHROPIC_ACTORS.get(raw, raw) if raw is not None else None
    email = s(actor.get("email_address"))
    if kind == "api_key":
        key = s(actor.get("api_key_id"))
        return party(key, s(actor.get("api_key_name")) or key, None, kind)
    uid = s(actor.get("user_id"))
    if email is None and uid is None:
        ip = s(actor.get("ip_address"))
        return party(None, ip, None, kind)
    return party(uid or email, s(actor.get("name")) or email or uid, email_of(email), kind)


def _anthropic_resource(rec: Rec) -> Rec | None:
    for key, value in rec.items():
        if key.endswith("_id") and key not in _NOT_RESOURCE and s(value) is not None:
            kind = key[:-3]
            name = s(rec.get(kind + "_name")) or s(value)
            return party(s(value), name, None, kind)
    return None


def normalise_anthropic(rec: Rec) -> Rec:
    ws_id = s(rec.get("workspace_id"))
    ws_name = s(rec.get("workspace_name"))
    return view(
        when(rec.get("created_at")),
        rec.get("type"),
        id=rec.get("id"),
        resource=_anthropic_resource(rec),
        organization=scope(rec.get("organization_id")),
        workspace=party(ws_id, ws_name or ws_id) if ws_id or ws_name else None,
        actor=_anthropic_actor(d(rec.get("actor"))),
        metadata={"ip": d(rec.get("actor")).get("ip_address")},
    )
