"""AWS CloudTrail records: bare (one record, or the ``Records`` of a CloudTrail log file, which
the file loader unwraps), inside an EventBridge envelope (``detail``), and the LookupEvents
output (the record as JSON text in ``CloudTrailEvent``). An EventBridge event that is not a
CloudTrail call is read from its envelope."""

from __future__ import annotations

from typing import Any

from audit_tui.sources.formats._common import (
    Rec,
    as_dict,
    canon_of,
    email_of,
    embedded,
    first_item,
    ip_actor,
    named,
    native_time,
    party,
    pick,
    recase,
    scope,
    text_or_none,
    view,
)

# the camelCase keys this module reads, for records whose keys were lower-cased
CANON = canon_of(
    *"""
    eventName eventSource eventTime eventType eventID eventVersion eventCategory awsRegion
    recipientAccountId userIdentity sessionContext sessionIssuer userName principalId accountId
    accessKeyId invokedBy requestParameters responseElements sourceIPAddress userAgent
    errorCode errorMessage readOnly managementEvent requestID additionalEventData onBehalfOf
    userId identityStoreArn creationDate mfaAuthenticated
""".split()
)


def match(rec: Rec) -> bool:
    if "eventName" in rec or "eventname" in rec:
        return (
            "eventSource" in rec
            or "eventsource" in rec
            or "userIdentity" in rec
            or "useridentity" in rec
            or "awsRegion" in rec
            or "awsregion" in rec
        )
    if "detail" in rec and "detail-type" in rec:
        return True
    return "CloudTrailEvent" in rec or ("EventName" in rec and "EventSource" in rec)


def service_of(source: str | None) -> str | None:
    if source is None:
        return None
    return source[:-14] if source.endswith(".amazonaws.com") else source


# userIdentity.type -> the actor type shown (others are kept as AWS writes them)
_ACTOR_TYPES = {"AWSService": "system", "Root": "root"}


def actor_of(ui: Rec) -> Rec:
    if not ui:
        return {}
    kind = text_or_none(ui.get("type"))
    arn = text_or_none(ui.get("arn"))
    name = text_or_none(ui.get("userName"))
    email = None
    if kind == "AssumedRole" or (arn is not None and ":assumed-role/" in arn):
        # arn:aws:sts::123456789012:assumed-role/RoleName/session-name
        if arn is not None and ":assumed-role/" in arn:
            name = arn.split(":assumed-role/", 1)[1]
            email = email_of(name.rsplit("/", 1)[-1])
        else:
            issuer = as_dict(as_dict(ui.get("sessionContext")).get("sessionIssuer"))
            name = text_or_none(issuer.get("userName")) or name
    elif kind == "Root":
        name = name or "root"
    elif kind == "AWSService":
        name = text_or_none(ui.get("invokedBy")) or name
    elif kind == "IdentityCenterUser":
        name = name or text_or_none(as_dict(ui.get("onBehalfOf")).get("userId"))
    if name is None:
        name = text_or_none(ui.get("principalId")) or text_or_none(ui.get("accountId"))
        if name is None and arn is None:
            key = text_or_none(ui.get("accessKeyId"))  # the key that acted
            if key is not None:
                return party(key, key, None, "api_key")
    if email is None:
        email = email_of(name)
    return party(
        arn or text_or_none(ui.get("principalId")),
        name,
        email,
        _ACTOR_TYPES.get(kind, kind) if kind is not None else None,
    )


_NAME_SUFFIXES = ("Name", "Id", "Arn", "ARN", "Identifier", "Key")


def resource_of(rec: Rec) -> Rec | None:
    res = first_item(rec.get("resources"))
    if res:
        arn = text_or_none(res.get("ARN") or res.get("arn"))
        if arn is not None:
            return party(
                arn, arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1], None, text_or_none(res.get("type"))
            )
    params = as_dict(rec.get("requestParameters"))
    if not params:
        return None
    items = as_dict(params.get("instancesSet")).get("items")
    if type(items) is list and items:
        iid = text_or_none(as_dict(items[0]).get("instanceId"))
        if iid is not None:
            return party(iid, iid, None, "instance")
    for key, value in params.items():
        if type(value) is str and value and key.endswith(_NAME_SUFFIXES):
            kind = key
            for suffix in _NAME_SUFFIXES:
                if key.endswith(suffix):
                    kind = key[: -len(suffix)]
                    break
            return party(
                value,
                value.rsplit("/", 1)[-1] if value.startswith("arn:") else value,
                None,
                kind or key,
            )
    return None


def _lookup_events(rec: Rec) -> Rec:
    """A LookupEvents entry: read the CloudTrail record inside, the entry where it is missing."""
    inner = embedded(rec.get("CloudTrailEvent"))
    if inner and "eventName" in inner:
        if inner.get("eventTime") is None and rec.get("EventTime") is not None:
            inner = {**inner, "eventTime": rec["EventTime"]}
        return normalise(inner)
    res = first_item(rec.get("Resources"))
    user = text_or_none(rec.get("Username"))
    source = text_or_none(rec.get("EventSource"))
    name = text_or_none(rec.get("EventName"))
    return view(
        native_time(rec.get("EventTime")),
        f"{service_of(source)}:{name}" if source and name else name,
        id=rec.get("EventId"),
        resource=party(
            text_or_none(res.get("ResourceName")),
            text_or_none(res.get("ResourceName")),
            None,
            text_or_none(res.get("ResourceType")),
        )
        if res
        else None,
        actor=party(user, user, email_of(user)),
    )


def _eventbridge(rec: Rec) -> Rec:
    detail = as_dict(rec.get("detail"))
    if "eventName" in detail:
        out = normalise(detail)
        if out.get("audited_at") is None and rec.get("time") is not None:
            out["audited_at"] = native_time(rec["time"])
        if out.get("organization") is None:
            out["organization"] = scope(rec.get("account"))
        if out.get("workspace") is None:
            out["workspace"] = scope(rec.get("region"))
        return out
    res = rec.get("resources")
    arn = text_or_none(res[0]) if type(res) is list and res else None
    return view(
        native_time(rec.get("time")),
        rec.get("detail-type"),
        id=rec.get("id"),
        resource=party(arn, arn.rsplit("/", 1)[-1], None, None) if arn else None,
        organization=scope(rec.get("account")),
        workspace=scope(rec.get("region")),
        actor=party(
            text_or_none(rec.get("source")), text_or_none(rec.get("source")), None, "system"
        ),
    )


def caller_of(rec: Rec) -> Rec:
    """The actor of a record whose ``userIdentity`` names no one: the AWS service that acted
    (``sourceIPAddress`` is a service's host name when a service called; an
    ``AwsServiceEvent`` was made by its ``eventSource``), else the caller's IP address."""
    source_ip = text_or_none(rec.get("sourceIPAddress"))
    if source_ip is not None and source_ip.endswith(".amazonaws.com"):
        return party(source_ip, source_ip, None, "system")
    if rec.get("eventType") == "AwsServiceEvent":
        service = text_or_none(rec.get("eventSource"))
        if service is not None:
            return party(service, service, None, "system")
    return ip_actor(source_ip)


def core(rec: Rec) -> tuple[Any, str | None, Rec, Any]:
    """(time, event type, actor, region) of a plain CloudTrail record: all the index reads (see
    ``formats.fast``), shared with :func:`normalise`."""
    source = text_or_none(rec.get("eventSource"))
    name = text_or_none(rec.get("eventName"))
    etype = f"{service_of(source)}:{name}" if source is not None and name is not None else name
    actor = actor_of(as_dict(rec.get("userIdentity")))
    if not named(actor):
        actor = caller_of(rec) or actor
    return rec.get("eventTime"), etype, actor, rec.get("awsRegion")


def normalise(rec: Rec) -> Rec:
    if "eventName" not in rec:
        if "eventname" in rec:
            rec = recase(rec, CANON)
        elif "detail" in rec and "detail-type" in rec:
            return _eventbridge(rec)
        elif "CloudTrailEvent" in rec or "EventName" in rec:
            return _lookup_events(rec)
    time, etype, actor, region = core(rec)
    ui = as_dict(rec.get("userIdentity"))
    return view(
        native_time(time),
        etype,
        id=rec.get("eventID"),
        resource=resource_of(rec),
        organization=scope(pick(rec, "recipientAccountId") or ui.get("accountId")),
        workspace=scope(region),
        actor=actor,
        metadata={
            "source_ip": rec.get("sourceIPAddress"),
            "user_agent": rec.get("userAgent"),
            "error": rec.get("errorCode"),
            "read_only": rec.get("readOnly"),
            "event_source": rec.get("eventSource"),
        },
    )
