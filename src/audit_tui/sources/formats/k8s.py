"""Kubernetes API server audit events (``audit.k8s.io`` Event, v1 and v1beta1), also inside the
AKS diagnostic-log wrapper (``category: kube-audit``, the event as JSON text in
``properties.log``)."""

from __future__ import annotations

from typing import Any

from audit_tui.sources.formats._common import (
    Rec,
    d,
    embedded,
    last_segment,
    party,
    pick,
    s,
    scope,
    view,
    when,
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
    return (cat == "kube-audit" or cat == "kube-audit-admin") and "log" in d(rec.get("properties"))


def actor_of(user: Rec, impersonated: Rec) -> Rec:
    name = s(user.get("username"))
    as_name = s(impersonated.get("username"))
    if name is None and as_name is None:
        return {}
    who = as_name if name is None else name
    label: str | None
    if name is not None and as_name is not None:
        label = f"{name} (as {as_name})"
    else:
        label = who
    return party(
        s(user.get("uid")) or name or as_name,
        label,
        who if who and "@" in who else None,
        actor_type(who),
    )


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
    obj = d(rec.get("objectRef"))
    verb = s(rec.get("verb"))
    resource = s(obj.get("resource"))
    sub = s(obj.get("subresource"))
    what: str | None
    etype: str | None
    if resource is not None:
        what = resource if sub is None else f"{resource}/{sub}"
    else:
        uri = s(rec.get("requestURI"))
        what = uri.split("?", 1)[0] if uri else None
    if verb is None:
        etype = what
    elif what is None:
        etype = verb
    else:
        etype = f"{verb} {what}"
    time = pick(rec, "requestReceivedTimestamp", "stageTimestamp", "timestamp")
    if time is None:
        time = d(rec.get("metadata")).get("creationTimestamp")
    actor = actor_of(d(rec.get("user")), d(rec.get("impersonatedUser")))
    return time, etype, actor, s(obj.get("namespace")), obj


def normalise(rec: Rec) -> Rec:
    outer: Rec | None = None
    if "verb" not in rec and is_aks(rec):
        outer = rec
        rec = embedded(rec["properties"]["log"])
    time, etype, actor, ns, obj = core(rec)
    resource = s(obj.get("resource"))
    name = s(obj.get("name"))
    res: Rec | None = None
    if resource is not None:
        rid = (f"{ns}/{name}" if ns else name) if name else s(obj.get("uid"))
        res = party(rid, name, None, resource)
    status = d(rec.get("responseStatus"))
    annotations = d(rec.get("annotations"))
    cluster = None
    if outer is not None:
        if time is None:
            time = outer.get("time")
        rid = s(outer.get("resourceId"))
        if rid is not None and "/managedclusters/" in rid.lower():
            cluster = last_segment(rid)
    ips: Any = rec.get("sourceIPs")
    return view(
        when(time),
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
