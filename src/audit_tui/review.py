"""What a security reviewer asks of each event: privileged or destructive? done by a machine?
did it fail? One table per format (:data:`RULES`), read by the audit report.

    flags = classify(row, original, fmt)   # Flags(privileged, automated, failure)

A pure data-layer module: ``row`` is the event's flat view, ``original`` the record as the
source wrote it, ``fmt`` its format's name (``native``, ``cloudtrail``, ``k8s`` …).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from audit_tui.model import Row

Outcome = Callable[[dict[str, Any], Row], str | None]


def _get(rec: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(rec, dict):
            return None
        rec = rec.get(key)
    return rec


def _native_outcome(rec: dict[str, Any], row: Row) -> str | None:
    if re.search(r"\b(failed|failure|error)\b", row.event_type, re.IGNORECASE):
        meta = rec.get("metadata")
        for key in ("error_code", "reason", "message", "error"):
            value = _get(meta, key)
            if isinstance(value, str | int) and value != "":
                return str(value)
        return row.event_type
    status = _get(rec, "metadata", "http_status")
    if isinstance(status, int) and status >= 400:
        return f"HTTP {status}"
    return None


def _cloudtrail_outcome(rec: dict[str, Any], row: Row) -> str | None:
    code = rec.get("errorCode")
    if code:
        message = rec.get("errorMessage")
        return f"{code}: {message}" if message else str(code)
    return None


def _k8s_outcome(rec: dict[str, Any], row: Row) -> str | None:
    code = _get(rec, "responseStatus", "code")
    if isinstance(code, int) and code >= 400:
        reason = _get(rec, "responseStatus", "reason") or _get(rec, "responseStatus", "message")
        return f"{code} {reason}" if reason else str(code)
    return None


def _okta_outcome(rec: dict[str, Any], row: Row) -> str | None:
    result = _get(rec, "outcome", "result")
    if isinstance(result, str) and result.upper() in ("FAILURE", "DENY", "DENIED"):
        reason = _get(rec, "outcome", "reason")
        return f"{result}: {reason}" if reason else result
    return None


def _gcp_outcome(rec: dict[str, Any], row: Row) -> str | None:
    status = _get(rec, "protoPayload", "status")
    code = _get(status, "code")
    if isinstance(code, int) and code != 0:
        message = _get(status, "message")
        return f"code {code}: {message}" if message else f"code {code}"
    return None


def _azure_outcome(rec: dict[str, Any], row: Row) -> str | None:
    for value in (
        rec.get("resultType"),
        _get(rec, "properties", "result"),
        _get(rec, "status", "value"),
    ):
        if isinstance(value, str) and value.lower() in ("failure", "failed", "fail"):
            return value
    code = _get(rec, "properties", "status", "errorCode")
    if isinstance(code, int) and code != 0:
        reason = _get(rec, "properties", "status", "failureReason")
        return f"{code}: {reason}" if reason else str(code)
    return None


def _typed_outcome(rec: dict[str, Any], row: Row) -> str | None:
    """Formats that record failures only in the action's name (``login.failed``)."""
    if re.search(r"(fail|denied|error)", row.event_type, re.IGNORECASE):
        return row.event_type
    return None


@dataclass(frozen=True)
class Rule:
    """Per format: the event types that are privileged or destructive (deletions, key
    creation and revocation, role and permission changes, secrets), and where a failure is
    recorded (None: the format does not record an outcome)."""

    privileged: re.Pattern[str]
    outcome: Outcome | None


def _re(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


RULES: dict[str, Rule] = {
    "native": Rule(
        _re(
            r"deleted|revoked|removed|api key created|role changed|member added|"
            r"secret (created|rotated|accessed)|policy updated|sso configuration|"
            r"organization settings|password reset|mfa (enabled|disabled)|audit log exported"
        ),
        _native_outcome,
    ),
    "cloudtrail": Rule(
        _re(
            r":(Delete|Remove|Detach|Revoke|Disable|Terminate|StopLogging|Deactivate)|"
            r":(Create(AccessKey|User|LoginProfile|Role|Policy|ServiceSpecificCredential)|"
            r"UpdateLoginProfile|UpdateAssumeRolePolicy|Attach\w*Policy|Put\w*Policy|"
            r"AddUserToGroup|PutBucketAcl|AuthorizeSecurityGroup\w*|UpdateTrail|"
            r"ModifyImageAttribute|ModifySnapshotAttribute|GetSecretValue|ScheduleKeyDeletion)\b"
        ),
        _cloudtrail_outcome,
    ),
    "k8s": Rule(
        _re(
            r"^(delete|deletecollection) |(roles|rolebindings|clusterroles|clusterrolebindings|"
            r"secrets|serviceaccounts/token|certificatesigningrequests)\b|pods/(exec|attach)|"
            r"^(escalate|bind|impersonate) "
        ),
        _k8s_outcome,
    ),
    "gcp": Rule(
        _re(
            r"SetIamPolicy|\.delete|Delete\w*|CreateServiceAccountKey|CreateKey|"
            r"UpdateSink|DeleteSink|\.setIamPolicy|CreateRole|UpdateRole|AccessSecretVersion"
        ),
        _gcp_outcome,
    ),
    "okta": Rule(
        _re(
            r"privilege\.grant|privilege\.revoke|\.lifecycle\.delete|lifecycle\.deactivate|"
            r"api_token\.(create|revoke)|policy\.lifecycle\.(update|delete)|"
            r"group\.user_membership\.add|mfa\.factor\.(reset|deactivate)|"
            r"password\.reset|idp\.lifecycle"
        ),
        _okta_outcome,
    ),
    "github": Rule(
        _re(
            r"\.destroy|\.delete|remove_member|add_member|update_member|invite_member|"
            r"permission|protected_branch|secret|deploy_key|oauth|personal_access_token|"
            r"hook\.create|repository_ruleset\.(update|destroy)|\.transfer|visibility"
        ),
        _typed_outcome,
    ),
    "azure": Rule(
        _re(
            r"/delete\b|roleAssignments/write|roleDefinitions/write|/locks/|listKeys|"
            r"add member to role|remove member|delete|reset password|add service principal "
            r"credentials|update application|consent"
        ),
        _azure_outcome,
    ),
}
RULES["entra"] = RULES["m365"] = RULES["azure"]
RULES["openai"] = RULES["anthropic"] = Rule(
    _re(
        r"api_key\.(created|deleted)|\.deleted|role\.|invite|user\.(added|removed)|scim|"
        r"ip_allowlist|project\.archived|admin"
    ),
    _typed_outcome,
)
# a format not in the table (generic records): the words every format uses
DEFAULT_RULE = Rule(_re(r"delete|revoke|remove|destroy|role|permission|secret|key"), _typed_outcome)

# actor types that are not a person
AUTOMATED = frozenset({"system", "api_key", "service_account", "service", "bot", "app"})


@dataclass(frozen=True)
class Flags:
    privileged: bool
    automated: bool
    failure: str | None  # what the record says of the failure; None: it did not fail (or
    # the format does not say)


def classify(row: Row, original: Any, fmt: str) -> Flags:
    rule = RULES.get(fmt, DEFAULT_RULE)
    failure = None
    if rule.outcome is not None and isinstance(original, dict):
        try:
            failure = rule.outcome(original, row)
        except (TypeError, ValueError, AttributeError):  # a hostile shape
            failure = None
    automated = row.actor_type.lower() in AUTOMATED or row.actor_name.endswith("[bot]")
    return Flags(bool(rule.privileged.search(row.event_type)), automated, failure)
