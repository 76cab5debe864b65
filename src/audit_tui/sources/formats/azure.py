"""Microsoft: Azure Activity Log (diagnostic-settings export, REST API / ``az monitor
activity-log list`` in camelCase, the Python SDK's snake_case), Entra ID (Azure AD) audit and
sign-in logs (diagnostic export and Microsoft Graph ``directoryAudits``/``signIns``), and the
Microsoft 365 unified audit log (Office 365 Management Activity API)."""

from __future__ import annotations

from typing import Any

from audit_tui.sources.formats._common import (
    Rec,
    as_dict,
    canon_of,
    email_of,
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

CANON = canon_of(
    *"""
    operationName resourceId tenantId callerIpAddress correlationId resultType resultSignature
    durationMs operationVersion subscriptionId resourceGroupName eventTimestamp
    submissionTimestamp principalId principalType
""".split()
)
ENTRA_CATEGORIES = frozenset(
    """
    AuditLogs SignInLogs NonInteractiveUserSignInLogs ServicePrincipalSignInLogs
    ManagedIdentitySignInLogs ProvisioningLogs ADFSSignInLogs RiskyUsers UserRiskEvents
    NetworkAccessTrafficLogs RiskyServicePrincipals ServicePrincipalRiskEvents
    EnrichedOffice365AuditLogs MicrosoftGraphActivityLogs RemoteNetworkHealthLogs
""".split()
)
_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


# -- detection -------------------------------------------------------------------------------


def match_activity(rec: Rec) -> bool:
    if "operationName" in rec or "operationname" in rec:
        if match_entra(rec):
            return False
        return (
            "time" in rec or "resourceId" in rec or "resourceid" in rec or "eventTimestamp" in rec
        )
    return "operation_name" in rec and ("event_timestamp" in rec or "resource_id" in rec)


def match_entra(rec: Rec) -> bool:
    if "operationName" in rec or "operationname" in rec:
        category = rec.get("category")
        if type(category) is str and category in ENTRA_CATEGORIES:
            return True
        rid = rec.get("resourceId") or rec.get("resourceid")
        return type(rid) is str and rid.lower().endswith("/microsoft.aadiam")
    # Microsoft Graph: directoryAudits, signIns
    if "activityDateTime" in rec:
        return "activityDisplayName" in rec or "initiatedBy" in rec
    return "createdDateTime" in rec and ("userPrincipalName" in rec or "appDisplayName" in rec)


def match_m365(rec: Rec) -> bool:
    if "CreationTime" not in rec or "Operation" not in rec:
        return False
    return "Workload" in rec or "RecordType" in rec


# -- Azure Activity Log ----------------------------------------------------------------------


def _value(v: Any) -> Any:
    """``{"value": "Microsoft.Compute/disks/delete", "localizedValue": ...}`` or the text."""
    return v.get("value") if type(v) is dict else v


def _arm(resource_id: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """(subscription, resource group, resource type, name) of an ARM resource id."""
    if not resource_id:
        return None, None, None, None
    parts = resource_id.strip("/").split("/")
    sub = group = kind = name = None
    lower = [p.lower() for p in parts]
    if "subscriptions" in lower:
        i = lower.index("subscriptions")
        sub = parts[i + 1] if i + 1 < len(parts) else None
    if "resourcegroups" in lower:
        i = lower.index("resourcegroups")
        group = parts[i + 1] if i + 1 < len(parts) else None
    if "providers" in lower:
        i = len(lower) - 1 - lower[::-1].index("providers")
        rest = parts[i + 1 :]
        if len(rest) >= 3:
            # Namespace/type/name[/subtype/subname...]
            kind = "/".join([rest[0], *rest[1::2]])
            name = rest[-1] if len(rest) % 2 == 1 else None
        elif rest:
            kind = rest[0]
    elif group is not None and len(parts) == 4:
        kind, name = "resourceGroups", group
    elif sub is not None and len(parts) == 2:
        kind, name = "subscriptions", sub
    return sub, group, kind, name


def _claim(claims: Rec, *names: str) -> str | None:
    """A claim by its URI (``_CLAIM`` + name) or its short name, as some exports write it."""
    for name in names:
        value = text_or_none(claims.get(_CLAIM + name)) or text_or_none(claims.get(name))
        if value is not None:
            return value
    return None


def _activity_actor(rec: Rec) -> Rec:
    """caller and the identity's claims (user, then app); then the principal the access was
    granted to (``identity.authorization.evidence``); then the caller's IP address."""
    caller = text_or_none(rec.get("caller"))
    identity = as_dict(rec.get("identity"))
    claims = as_dict(rec.get("claims")) or as_dict(identity.get("claims"))
    upn = _claim(claims, "upn", "emailaddress", "unique_name")
    oid = text_or_none(
        claims.get("http://schemas.microsoft.com/identity/claims/objectidentifier")
    ) or text_or_none(claims.get("oid"))
    name = _claim(claims, "name") or upn or caller
    if name is None:
        app = text_or_none(claims.get("appid"))
        if app is not None:
            return party(app, app, None, "service_account")
        evidence = as_dict(as_dict(identity.get("authorization")).get("evidence"))
        principal = text_or_none(evidence.get("principalId"))
        if principal is not None:
            kind = text_or_none(evidence.get("principalType"))
            return party(
                principal, principal, None, "user" if kind == "User" else "service_account"
            )
        return ip_actor(activity_ip(rec) or claims.get("ipaddr"))
    email = email_of(upn) or email_of(caller) or email_of(name)
    kind = "user" if email else ("service_account" if text_or_none(claims.get("appid")) else None)
    return party(oid or caller or upn, name, email, kind)


def activity_ip(rec: Rec) -> Any:
    return (
        pick(rec, "callerIpAddress")
        or as_dict(rec.get("http_request")).get("client_ip_address")
        or as_dict(rec.get("httpRequest")).get("clientIpAddress")
    )


def normalise_activity(rec: Rec) -> Rec:
    if "operationName" not in rec and "operationname" in rec:
        rec = recase(rec, CANON)
    time = pick(
        rec,
        "time",
        "eventTimestamp",
        "event_timestamp",
        "submissionTimestamp",
        "submission_timestamp",
    )
    op = _value(pick(rec, "operationName", "operation_name"))
    rid = text_or_none(pick(rec, "resourceId", "resource_id"))
    sub, group, kind, name = _arm(rid)
    group = (
        text_or_none(pick(rec, "resourceGroupName", "resource_group_name", "resourceGroup"))
        or group
    )
    sub = text_or_none(pick(rec, "subscriptionId", "subscription_id")) or sub
    kind = text_or_none(_value(pick(rec, "resourceType", "resource_type"))) or kind
    return view(
        native_time(time),
        op,
        id=pick(rec, "eventDataId", "event_data_id", "correlationId", "correlation_id"),
        resource=party(rid, name, None, kind) if rid else None,
        organization=scope(sub or pick(rec, "tenantId", "tenant_id")),
        workspace=scope(group),
        actor=_activity_actor(rec),
        metadata={
            "category": _value(rec.get("category")),
            "result": _value(pick(rec, "resultType", "status")),
            "caller_ip": activity_ip(rec),
        },
    )


# -- Entra ID --------------------------------------------------------------------------------


def _target(props: Rec) -> Rec | None:
    t = first_item(props.get("targetResources"))
    if t:
        upn = text_or_none(t.get("userPrincipalName"))
        return party(
            text_or_none(t.get("id")),
            text_or_none(t.get("displayName")) or upn,
            None,
            text_or_none(t.get("type")),
        )
    app = text_or_none(props.get("appDisplayName")) or text_or_none(
        props.get("resourceDisplayName")
    )
    if app is not None:
        return party(
            text_or_none(props.get("appId")) or text_or_none(props.get("resourceId")),
            app,
            None,
            "application",
        )
    return None


def _entra_actor(props: Rec, rec: Rec) -> Rec:
    """initiatedBy.user, initiatedBy.app; the sign-in's user, service principal; then the
    caller's IP address."""
    by = as_dict(props.get("initiatedBy"))
    user = as_dict(by.get("user"))
    if user and (user.get("id") or user.get("userPrincipalName") or user.get("displayName")):
        upn = text_or_none(user.get("userPrincipalName"))
        return party(
            text_or_none(user.get("id")) or upn,
            text_or_none(user.get("displayName")) or upn,
            email_of(upn),
            "user",
        )
    app = as_dict(by.get("app"))
    if app and (app.get("servicePrincipalId") or app.get("appId") or app.get("displayName")):
        return party(
            text_or_none(app.get("servicePrincipalId")) or text_or_none(app.get("appId")),
            text_or_none(app.get("displayName")) or text_or_none(app.get("servicePrincipalName")),
            None,
            "service_account",
        )
    upn = text_or_none(props.get("userPrincipalName"))
    if upn is not None or text_or_none(props.get("userDisplayName")) is not None:
        return party(
            text_or_none(props.get("userId")) or upn,
            text_or_none(props.get("userDisplayName")) or upn,
            email_of(upn),
            "user",
        )
    sp = text_or_none(props.get("servicePrincipalName"))
    if sp is not None or text_or_none(props.get("servicePrincipalId")) is not None:
        return party(text_or_none(props.get("servicePrincipalId")), sp, None, "service_account")
    return ip_actor(
        pick(user, "ipAddress") or pick(props, "ipAddress") or rec.get("callerIpAddress")
    )


def normalise_entra(rec: Rec) -> Rec:
    if "operationName" not in rec and "operationname" in rec:
        rec = recase(rec, CANON)
    if "operationName" in rec:  # diagnostic-settings export: the Graph object in properties
        props = as_dict(rec.get("properties"))
        time = rec.get("time")
        if time is None:
            time = pick(props, "activityDateTime", "createdDateTime")
        op = rec.get("operationName")
        tenant = rec.get("tenantId")
        rid = pick(props, "id", "correlationId")
        if rid is None:
            rid = rec.get("correlationId")
    else:
        props = rec
        time = pick(rec, "activityDateTime", "createdDateTime")
        op = pick(rec, "activityDisplayName", "operationName")
        if op is None and "createdDateTime" in rec:
            op = "Sign-in activity"
        tenant = pick(rec, "tenantId", "resourceTenantId")
        rid = rec.get("id")
    status = as_dict(props.get("status"))
    return view(
        native_time(time),
        op,
        id=rid,
        resource=_target(props),
        organization=scope(tenant),
        workspace=None,
        actor=_entra_actor(props, rec),
        metadata={
            "category": rec.get("category") or props.get("category"),
            "result": pick(props, "result", "resultType")
            or rec.get("resultType")
            or status.get("errorCode"),
            "service": props.get("loggedByService"),
            "ip": pick(props, "ipAddress") or rec.get("callerIpAddress"),
        },
    )


# -- Microsoft 365 ---------------------------------------------------------------------------

# UserType: 0 Regular, 1 Reserved, 2 Admin, 3 DcAdmin, 4 System, 5 Application,
# 6 ServicePrincipal, 7 CustomPolicy, 8 SystemPolicy
_M365_USER_TYPES = {
    0: "user",
    2: "admin",
    3: "system",
    4: "system",
    5: "service_account",
    6: "service_account",
}


def normalise_m365(rec: Rec) -> Rec:
    user = text_or_none(rec.get("UserId"))
    kind = rec.get("UserType")
    obj = text_or_none(rec.get("ObjectId"))
    actor = party(
        text_or_none(rec.get("UserKey")) or user,
        user,
        email_of(user),
        _M365_USER_TYPES.get(kind) if type(kind) is int else text_or_none(kind),
    )
    ip = pick(rec, "ClientIP", "ActorIpAddress")
    return view(
        native_time(rec.get("CreationTime")),
        rec.get("Operation"),
        id=rec.get("Id"),
        resource=party(obj, obj, None, text_or_none(rec.get("ItemType"))) if obj else None,
        organization=scope(pick(rec, "OrganizationName", "OrganizationId")),
        workspace=scope(rec.get("Workload")),
        actor=actor if named(actor) else ip_actor(ip) or actor,
        metadata={
            "result": rec.get("ResultStatus"),
            "client_ip": ip,
            "record_type": rec.get("RecordType"),
        },
    )
