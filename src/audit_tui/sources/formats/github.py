"""GitHub organisation and enterprise audit log (the web export as JSON or CSV, the REST API's
``/orgs/{org}/audit-log``, streamed logs): ``@timestamp``/``created_at`` in epoch milliseconds,
``action`` as ``category.operation``, ``actor`` a login."""

from __future__ import annotations

from typing import Any

from audit_tui.sources.formats._common import (
    Rec,
    as_dict,
    ip_actor,
    native_time,
    party,
    scope,
    text_or_none,
    view,
)

_HINTS = tuple(
    """
    _document_id @timestamp at_sign_timestamp actor_id org repo business operation_type
    actor_location
""".split()
)


def match(rec: Rec) -> bool:
    if "action" not in rec or type(rec["action"]) is not str:
        return False
    for key in _HINTS:
        if key in rec:
            return True
    return False


def _one(value: Any) -> str | None:
    """``org`` is a login, a list of logins, or ``[]``."""
    if type(value) is list:
        return text_or_none(value[0]) if value else None
    return text_or_none(value)


def _caller(rec: Rec) -> Rec:
    """No actor login: the OAuth or GitHub app, then the token that acted, then the actor's IP
    address."""
    app = text_or_none(rec.get("oauth_application_name")) or text_or_none(rec.get("integration"))
    if app is not None:
        return party(app, app, None, "service_account")
    token = text_or_none(rec.get("token_id")) or text_or_none(rec.get("hashed_token"))
    if token is not None:
        return party(token, token, None, "api_key")
    return ip_actor(rec.get("actor_ip"))


def normalise(rec: Rec) -> Rec:
    time = rec.get("@timestamp")
    if time is None:
        time = rec.get("created_at")
        if time is None:
            time = rec.get("at_sign_timestamp")
    if type(time) is str and time.isdigit():
        time = int(time)  # a CSV cell
    raw_actor: Any = rec.get("actor")
    if type(raw_actor) is dict:  # a CSV export's actor + actor_id columns, nested
        login = text_or_none(raw_actor.get("name"))
        actor_id = text_or_none(raw_actor.get("id"))
    else:
        login = text_or_none(raw_actor)
        actor_id = text_or_none(rec.get("actor_id"))
    if login is not None or actor_id is not None:
        bot = rec.get("actor_is_bot") is True or (login is not None and login.endswith("[bot]"))
        actor = party(actor_id or login, login, None, "bot" if bot else "user")
    else:
        actor = _caller(rec)
    repo = text_or_none(rec.get("repo")) or text_or_none(rec.get("repository"))
    org = _one(rec.get("org"))
    res: Rec | None
    if repo is not None:
        res = party(repo, repo, None, "repository")
    elif text_or_none(rec.get("team")) is not None:
        res = party(rec["team"], rec["team"], None, "team")
    elif text_or_none(rec.get("user")) is not None and rec.get("user") != login:
        res = party(rec["user"], rec["user"], None, "user")
    elif text_or_none(rec.get("name")) is not None:
        action = rec.get("action")
        kind = action.split(".", 1)[0] if type(action) is str else None
        res = party(rec["name"], rec["name"], None, kind)
    elif org is not None:
        res = party(org, org, None, "organization")
    else:
        res = None
    location = as_dict(rec.get("actor_location"))
    return view(
        native_time(time),
        rec.get("action"),
        id=rec.get("_document_id"),
        resource=res,
        organization=scope(org or rec.get("business")),
        workspace=scope(repo),
        actor=actor,
        metadata={
            "actor_ip": rec.get("actor_ip"),
            "country": location.get("country_code"),
            "operation_type": rec.get("operation_type"),
            "business": rec.get("business"),
        },
    )
