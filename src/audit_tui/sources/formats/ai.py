"""AI platform organisation audit logs: OpenAI (``/v1/organization/audit_logs``) and Anthropic
(the organisation activity feed). Both come as API list pages (``{"data": [...]}``, unwrapped by
the file loader) or single objects."""

from __future__ import annotations

from typing import Any

from audit_tui.sources.formats._common import (
    Rec,
    as_dict,
    email_of,
    ip_actor,
    named,
    native_time,
    party,
    scope,
    text_or_none,
    view,
)

# -- OpenAI ----------------------------------------------------------------------------------


def match_openai(rec: Rec) -> bool:
    return "effective_at" in rec or rec.get("object") == "organization.audit_log"


def _openai_actor(actor: Rec) -> Rec:
    kind = text_or_none(actor.get("type"))
    if kind == "session":
        user = as_dict(as_dict(actor.get("session")).get("user"))
        email = text_or_none(user.get("email"))
        uid = text_or_none(user.get("id"))
        return party(uid or email, email or uid, email_of(email), "user")
    if kind == "api_key":
        key = as_dict(actor.get("api_key"))
        user = as_dict(key.get("user"))
        if user:
            email = text_or_none(user.get("email"))
            return party(
                text_or_none(user.get("id")) or email,
                email or text_or_none(user.get("id")),
                email_of(email),
                "api_key",
            )
        sa = as_dict(key.get("service_account"))
        if sa:
            return party(
                text_or_none(sa.get("id")),
                text_or_none(sa.get("name")) or text_or_none(sa.get("id")),
                None,
                "service_account",
            )
        return party(text_or_none(key.get("id")), text_or_none(key.get("id")), None, "api_key")
    return party(None, None, None, kind) if kind else {}


def normalise_openai(rec: Rec) -> Rec:
    etype = text_or_none(rec.get("type"))
    payload: Any = None
    res: Rec | None = None
    if etype is not None:
        payload = rec.get(etype)
        if payload is None:
            payload = rec.get(etype.replace(".", "_"))
        payload = as_dict(payload)
        kind = etype.rsplit(".", 1)[0] if "." in etype else etype
        if payload:
            data = as_dict(payload.get("data"))
            pid = text_or_none(payload.get("id"))
            name = text_or_none(data.get("name")) or text_or_none(payload.get("name")) or pid
            res = party(pid, name, None, kind)
    project = as_dict(rec.get("project"))
    actor = as_dict(rec.get("actor"))
    session = as_dict(actor.get("session"))
    who = _openai_actor(actor)
    return view(
        native_time(rec.get("effective_at")),
        etype,
        id=rec.get("id"),
        resource=res,
        organization=None,
        workspace=party(
            text_or_none(project.get("id")),
            text_or_none(project.get("name")) or text_or_none(project.get("id")),
        )
        or None,
        actor=who if named(who) else ip_actor(session.get("ip_address")) or who,
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
    kind = as_dict(rec.get("actor")).get("type")
    return type(kind) is str and kind.endswith("_actor")


def _anthropic_actor(actor: Rec) -> Rec:
    if not actor:
        return {}
    raw = text_or_none(actor.get("type"))
    kind = _ANTHROPIC_ACTORS.get(raw, raw) if raw is not None else None
    email = text_or_none(actor.get("email_address"))
    if kind == "api_key":
        key = text_or_none(actor.get("api_key_id"))
        return party(key, text_or_none(actor.get("api_key_name")) or key, None, kind)
    uid = text_or_none(actor.get("user_id"))
    if email is None and uid is None:
        ip = text_or_none(actor.get("ip_address"))
        return party(None, ip, None, kind)
    return party(
        uid or email, text_or_none(actor.get("name")) or email or uid, email_of(email), kind
    )


def _anthropic_resource(rec: Rec) -> Rec | None:
    for key, value in rec.items():
        if key.endswith("_id") and key not in _NOT_RESOURCE and text_or_none(value) is not None:
            kind = key[:-3]
            name = text_or_none(rec.get(kind + "_name")) or text_or_none(value)
            return party(text_or_none(value), name, None, kind)
    return None


def normalise_anthropic(rec: Rec) -> Rec:
    ws_id = text_or_none(rec.get("workspace_id"))
    ws_name = text_or_none(rec.get("workspace_name"))
    return view(
        native_time(rec.get("created_at")),
        rec.get("type"),
        id=rec.get("id"),
        resource=_anthropic_resource(rec),
        organization=scope(rec.get("organization_id")),
        workspace=party(ws_id, ws_name or ws_id) if ws_id or ws_name else None,
        actor=_anthropic_actor(as_dict(rec.get("actor"))),
        metadata={"ip": as_dict(rec.get("actor")).get("ip_address")},
    )
