"""Kubernetes API server audit events (``audit.k8s.io`` Event, v1 and v1beta1), also inside the
AKS diagnostic-log wrapper (``category: kube-audit``, the event as JSON text in
``properties.log``)."""

from __future__ import annotations

from typing import Any

from audit_tui.sources.formats._common import (
    Rec,
    as_dict,
    embedded,
    ip_actor,
    last_segment,
    native_time,
    party,
    pick,
    scope,
    text_or_none,
    view,
)


def match(rec: Rec) -> bool:
    if "verb" in rec:
        return "objectRef" in rec or "requestURI" in rec or "user" in rec or "auditID" in rec
    if rec.get("kind") == "Event":
        api = rec.get("apiVersion")
        return type(api) is str and api.startswith("audit.k8s.io")
    return is_aks(rec)


def is_aks(rec: Rec) -> bool:
    cat = rec.get("category")
    return (cat == "kube-audit" or cat == "kube-audit-admin") and "log" in as_dict(
        rec.get("properties")
    )


def actor_of(user: Rec, impersonated: Rec) -> Rec:
    name = text_or_none(user.get("username"))
    as_name = text_or_none(impersonated.get("username"))
    if name is None and as_name is None:
        uid = text_or_none(user.get("uid"))
        return {} if uid is None else party(uid, uid)
    who = as_name if name is None else name
    actor = party(
        text_or_none(user.get("uid")) or name or as_name,
        who,
        who if who and "@" in who else None,
        actor_type(who),
    )
    if name is not None and as_name is not None:
        # impersonation is a fact of this event, not a part of who the actor is: the facet
        # counts the real user, the row and the detail view say "as bob"
        actor["as"] = as_name
    return actor


def actor_type(username: str | None) -> str:
    if not username:
        return ""
    if username.startswith("system:"):
        if username.startswith("system:serviceaccount:"):
            return "service_account"
        if username == "system:anonymous":
            return "anonymous"
        return "system"
    return "user"


def core(rec: Rec) -> tuple[Any, str | None, Rec, str | None, Rec]:
    """(time, event type, actor, namespace, objectRef) of an audit.k8s.io Event: all the index
    reads (see ``formats.fast``), shared with :func:`normalise`."""
    obj = as_dict(rec.get("objectRef"))
    verb = text_or_none(rec.get("verb"))
    resource = text_or_none(obj.get("resource"))
    sub = text_or_none(obj.get("subresource"))
    what: str | None
    etype: str | None
    if resource is not None:
        what = resource if sub is None else f"{resource}/{sub}"
    else:
        uri = text_or_none(rec.get("requestURI"))
        what = uri.split("?", 1)[0] if uri else None
    if verb is None:
        etype = what
    elif what is None:
        etype = verb
    else:
        etype = f"{verb} {what}"
    time = pick(rec, "requestReceivedTimestamp", "stageTimestamp", "timestamp")
    if time is None:
        time = as_dict(rec.get("metadata")).get("creationTimestamp")
    actor = actor_of(as_dict(rec.get("user")), as_dict(rec.get("impersonatedUser")))
    if not actor:
        actor = ip_actor(rec.get("sourceIPs"))
    return time, etype, actor, text_or_none(obj.get("namespace")), obj


def normalise(rec: Rec) -> Rec:
    outer: Rec | None = None
    if "verb" not in rec and is_aks(rec):
        outer = rec
        rec = embedded(rec["properties"]["log"])
    time, etype, actor, ns, obj = core(rec)
    resource = text_or_none(obj.get("resource"))
    name = text_or_none(obj.get("name"))
    res: Rec | None = None
    if resource is not None:
        rid = (f"{ns}/{name}" if ns else name) if name else text_or_none(obj.get("uid"))
        res = party(rid, name, None, resource)
    status = as_dict(rec.get("responseStatus"))
    annotations = as_dict(rec.get("annotations"))
    cluster = None
    if outer is not None:
        if time is None:
            time = outer.get("time")
        rid = text_or_none(outer.get("resourceId"))
        if rid is not None and "/managedclusters/" in rid.lower():
            cluster = last_segment(rid)
    ips: Any = rec.get("sourceIPs")
    return view(
        native_time(time),
        etype,
        id=rec.get("auditID"),
        resource=res,
        organization=scope(cluster),
        workspace=scope(ns),
        actor=actor,
        metadata={
            "stage": rec.get("stage"),
            "code": status.get("code"),
            "decision": annotations.get("authorization.k8s.io/decision"),
            "source_ip": ips[0] if type(ips) is list and ips else None,
            "user_agent": rec.get("userAgent"),
            "api_group": obj.get("apiGroup"),
        },
    )
