"""Any other record with a recognisable time and action: common key names, read generically
(including Elastic Common Schema's ``event.action``/``user.name``)."""

from __future__ import annotations

from typing import Any

from audit_tui.sources.formats._common import (
    Rec,
    email_of,
    ip_actor,
    native_time,
    party,
    text_or_none,
    view,
)

TIME_KEYS = tuple(
    """
    timestamp time @timestamp eventTime event_time created_at createdAt date datetime published
    occurred_at occurredAt logged_at loggedAt ts CreationTime TimeGenerated p_event_time
""".split()
)
ACTION_KEYS = tuple(
    """
    action event eventName event_name type operation operationName operation_name method
    activity eventType event_type name
""".split()
)
ACTOR_KEYS = tuple(
    """
    actor user username user_name userName principal caller initiator login email user_email
    actor_email
""".split()
)
# the last actor fallback: the caller's address
IP_KEYS = tuple(
    """
    ip ip_address ipAddress client_ip clientIp source_ip sourceIp sourceIPAddress callerIpAddress
    remote_addr remote_ip
""".split()
)
RESOURCE_KEYS = ("resource", "target", "object", "entity")
ORG_KEYS = (
    "organization",
    "org",
    "tenant",
    "account",
    "organization_id",
    "tenant_id",
    "account_id",
    "org_id",
)
WORKSPACE_KEYS = ("workspace", "project", "namespace", "workspace_id", "project_id")


def _first_scalar(rec: Rec, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = rec.get(key)
        if value is None:
            continue
        if type(value) is dict:
            nested = (
                text_or_none(value.get("action")) if key == "event" else None
            )  # ECS event.action
            if nested is not None:
                return nested
            continue
        text = text_or_none(value)
        if text is not None:
            return text
    return None


def _party(rec: Rec, keys: tuple[str, ...], scope_only: bool = False) -> Rec | None:
    for key in keys:
        value: Any = rec.get(key)
        if value is None or value == "":
            continue
        if type(value) is list:
            value = value[0] if value else None
        if type(value) is dict:
            name = (
                text_or_none(value.get("name"))
                or text_or_none(value.get("displayName"))
                or text_or_none(value.get("username"))
                or text_or_none(value.get("login"))
                or text_or_none(value.get("email"))
            )
            email = text_or_none(value.get("email"))
            out = party(
                text_or_none(value.get("id")),
                name,
                None if scope_only else email_of(email),
                None if scope_only else text_or_none(value.get("type")),
            )
            if out:
                return out
            continue
        text = text_or_none(value)
        if text is not None:
            return party(text, text, None if scope_only else email_of(text))
    return None


def time_of(rec: Rec) -> Any:
    for key in TIME_KEYS:
        value = rec.get(key)
        if value is not None and value != "" and type(value) is not dict:
            return value
    return None


def normalise(rec: Rec) -> Rec:
    time = time_of(rec)
    action = _first_scalar(rec, ACTION_KEYS) if time is not None else None
    if time is not None and type(time) is str and time.isdigit():
        time = int(time)
    return view(
        native_time(time),
        action,
        id=rec.get("id") if type(rec.get("id")) is not dict else None,
        resource=_party(rec, RESOURCE_KEYS),
        organization=_party(rec, ORG_KEYS, scope_only=True),
        workspace=_party(rec, WORKSPACE_KEYS, scope_only=True),
        actor=_party(rec, ACTOR_KEYS) or ip_actor(_first_scalar(rec, IP_KEYS)),
    )
