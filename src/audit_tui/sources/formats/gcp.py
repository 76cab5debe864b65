"""Google Cloud Logging entries: audit logs (``protoPayload`` of type AuditLog, GKE's
``k8s.io`` ones included), other entries of the same export (``jsonPayload``/``textPayload``,
typed by their log name), and the CloudEvents envelope Eventarc delivers (the entry in
``data``)."""

from __future__ import annotations

from urllib.parse import unquote

from audit_tui.sources.formats._common import (
    Rec,
    as_dict,
    canon_of,
    email_of,
    first_item,
    ip_actor,
    last_segment,
    native_time,
    party,
    pick,
    recase,
    scope,
    text_or_none,
    view,
)

CANON = canon_of(
    *"""
    protoPayload logName insertId receiveTimestamp methodName serviceName resourceName
    authenticationInfo principalEmail principalSubject requestMetadata callerIp
    callerSuppliedUserAgent requestAttributes authorizationInfo serviceAccountDelegationInfo
    firstPartyPrincipal thirdPartyPrincipal thirdPartyClaims serviceAccountKeyName
""".split()
)


def match(rec: Rec) -> bool:
    if "protoPayload" in rec or "protopayload" in rec:
        return True
    if "logName" in rec or "logname" in rec:
        return "timestamp" in rec or "receiveTimestamp" in rec or "receivetimestamp" in rec
    if "specversion" in rec:
        data = as_dict(rec.get("data"))
        return "protoPayload" in data or "logName" in data
    return False


def _project(rec: Rec, labels: Rec) -> str | None:
    project = text_or_none(labels.get("project_id"))
    if project is not None:
        return project
    log = text_or_none(rec.get("logName"))
    if log is not None:
        # projects/P/logs/..., organizations/N/logs/..., folders/N/logs/...
        parts = log.split("/", 2)
        if len(parts) >= 2:
            return parts[1] if parts[0] == "projects" else f"{parts[0]}/{parts[1]}"
    return None


def _log_id(log: str | None) -> str | None:
    if not log:
        return None
    return unquote(log.rsplit("/logs/", 1)[-1])


def _actor(payload: Rec) -> Rec:
    """principalEmail, principalSubject; then the service account the call was delegated
    through (serviceAccountDelegationInfo), the service-account key used; then the caller's IP
    (requestMetadata.callerIp)."""
    auth = as_dict(payload.get("authenticationInfo"))
    email = text_or_none(auth.get("principalEmail"))
    subject = text_or_none(auth.get("principalSubject"))
    if email is None and subject is None:
        return _delegate(auth) or ip_actor(caller_ip(payload))
    name = email or subject
    if name is not None and name.endswith(".gserviceaccount.com"):
        kind = "service_account"
    elif name is not None and name.startswith("system:"):
        kind = "system"  # GKE components
    else:
        kind = "user"
    return party(subject or email, name, email_of(email), kind)


def _delegate(auth: Rec) -> Rec:
    """The first principal of ``serviceAccountDelegationInfo``, else the key that acted."""
    info = first_item(auth.get("serviceAccountDelegationInfo"))
    first = as_dict(info.get("firstPartyPrincipal"))
    who = text_or_none(first.get("principalEmail")) or text_or_none(info.get("principalSubject"))
    if who is None:
        claims = as_dict(as_dict(info.get("thirdPartyPrincipal")).get("thirdPartyClaims"))
        who = text_or_none(claims.get("email")) or text_or_none(claims.get("sub"))
    if who is not None:
        return party(who, who, email_of(who), "service_account")
    key = text_or_none(auth.get("serviceAccountKeyName"))
    if key is not None:
        return party(key, last_segment(key), None, "api_key")
    return {}


def caller_ip(payload: Rec) -> str | None:
    meta = as_dict(payload.get("requestMetadata"))
    return text_or_none(meta.get("callerIp")) or text_or_none(meta.get("callerIP"))


def _k8s_object(name: str) -> tuple[Rec, str | None]:
    """GKE: ``core/v1/namespaces/NS/pods/NAME[/SUB]``, ``apps/v1/...``, ``core/v1/nodes/NAME``:
    the object as the Kubernetes mapping shows it, and its namespace."""
    rest = name.strip("/").split("/")[2:]
    ns = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        ns, rest = rest[1], rest[2:]
    kind = rest[0] if rest else None
    obj = rest[1] if len(rest) > 1 else None
    rid = (f"{ns}/{obj}" if ns else obj) if obj else None
    return party(rid, obj, None, kind), ns


def normalise(rec: Rec) -> Rec:
    if "specversion" in rec and "protoPayload" not in rec:
        outer = rec
        rec = as_dict(rec.get("data"))
        if rec.get("timestamp") is None and outer.get("time") is not None:
            rec = {**rec, "timestamp": outer["time"]}
    if "protopayload" in rec or ("logname" in rec and "logName" not in rec):
        rec = recase(rec, CANON)
    payload = as_dict(rec.get("protoPayload"))
    resource = as_dict(rec.get("resource"))
    labels = as_dict(resource.get("labels"))
    res: Rec | None = None
    namespace = None
    if payload:
        etype = text_or_none(payload.get("methodName"))
        name = text_or_none(payload.get("resourceName"))
        gke = payload.get("serviceName") == "k8s.io" or (etype or "").startswith("io.k8s.")
        if name is not None and gke:
            res, namespace = _k8s_object(name)
        elif name is not None:
            parts = name.rstrip("/").split("/")
            kind = parts[-2] if len(parts) >= 2 else text_or_none(resource.get("type"))
            res = party(name, parts[-1], None, kind)
        elif resource:
            res = party(None, None, None, text_or_none(resource.get("type")))
        actor = _actor(payload)
        status = as_dict(payload.get("status"))
    else:
        etype = _log_id(text_or_none(rec.get("logName")))
        res = party(None, None, None, text_or_none(resource.get("type"))) if resource else None
        actor = {}
        status = {}
    time = pick(rec, "timestamp", "receiveTimestamp")
    if time is None:
        time = payload.get("timestamp")
        if time is None:  # when the service received the request
            meta = as_dict(payload.get("requestMetadata"))
            time = as_dict(meta.get("requestAttributes")).get("time")
    return view(
        native_time(time),
        etype,
        id=rec.get("insertId"),
        resource=res,
        organization=scope(_project(rec, labels)),
        workspace=scope(
            namespace
            or labels.get("cluster_name")
            or labels.get("location")
            or labels.get("zone")
            or labels.get("region")
        ),
        actor=actor,
        metadata={
            "service": payload.get("serviceName"),
            "log": _log_id(text_or_none(rec.get("logName"))),
            "caller_ip": caller_ip(payload),
            "status": status.get("code"),
            "severity": rec.get("severity"),
        },
    )
