"""Issue 16: never a blank "who" or "when" when the record says it somewhere.

Each rule of the fallback orders in docs/formats.md is tested on a real record from
tests/data/formats (see its README for where each came from) or, where no real record shows the
case, on a minimal record built from the format's documentation. The fast index path and the
slow one must agree on every such record."""

from __future__ import annotations

import gzip
import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from audit_tui.facets import describe
from audit_tui.model import InvalidRecord, Row, event_time, event_type, flatten, iso_ms, party
from audit_tui.output import actor_label
from audit_tui.query import Query
from audit_tui.sources.file import open_data
from audit_tui.sources.formats import detect, index_line, normalise
from audit_tui.tui.format import actor_text

DATA = Path(__file__).parent / "data" / "formats"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def real(name: str, where: Any = None, **match: Any) -> dict[str, Any]:
    """The first record of fixture ``name`` whose top-level keys hold ``match`` (and for which
    ``where`` is true)."""
    data = (DATA / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    for line in data.splitlines():
        rec = orjson.loads(line)
        if all(rec.get(k) == v for k, v in match.items()) and (where is None or where(rec)):
            return rec
    raise AssertionError(f"no record {match} in {name}")


def row(rec: dict[str, Any]) -> Row:
    return flatten(normalise(rec))


def actor(rec: dict[str, Any]) -> tuple[str, str, str, str]:
    r = row(rec)
    return r.actor_type, r.actor_id, r.actor_name, r.actor_email


def party_key(value: Any) -> tuple[Any, ...] | None:
    if value is None:
        return None
    p = party(value)
    return (p.id or None, p.name or None, p.email or None, p.type or None)


def keys(line: bytes) -> tuple[Any, ...]:
    """What the slow path indexes for a line (what the fast path must give when it answers)."""
    view = normalise(orjson.loads(line))
    try:
        return (
            event_time(view),
            event_type(view),
            party_key(view.get("actor")),
            party_key(view.get("workspace")),
        )
    except InvalidRecord as exc:
        return ("invalid", str(exc))


def same_both_ways(rec: dict[str, Any]) -> None:
    line = orjson.dumps(rec)
    try:
        got = index_line(line)
    except InvalidRecord as exc:
        got = ("invalid", str(exc))
    if got is not None:
        assert got == keys(line)


# -- time -------------------------------------------------------------------------------------

FLAT_OKTA = {  # a Panther data-lake export of an Okta event, flattened: no "published"
    "eventType": "user.session.start",
    "actorId": "00u1abcd",
    "actorName": "Ada Lovelace",
    "actorAlternateId": "ada@example.com",
    "sourceIP": "203.0.113.9",
    "p_event_time": "2024-01-15 14:23:45.123",
}


def test_p_event_time_is_every_format_s_last_time() -> None:
    """Zone-less ``p_event_time`` is UTC, also in an export that dropped ``p_log_type``."""
    assert iso_ms(row(FLAT_OKTA).audited_at) == "2024-01-15T14:23:45.123Z"
    k8s = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "verb": "get",
        "user": {"username": "a"},
    }
    with pytest.raises(InvalidRecord, match="no audited_at"):
        row(k8s)
    timed = {**k8s, "p_event_time": "2024-01-15 14:23:45.123"}
    assert iso_ms(row(timed).audited_at) == "2024-01-15T14:23:45.123Z"
    same_both_ways(timed)
    trail = {"eventName": "GetObject", "eventSource": "s3.amazonaws.com", "awsRegion": "eu-west-1"}
    assert row({**trail, "p_event_time": 1705328625123}).audited_at == 1705328625123
    same_both_ways({**trail, "p_event_time": 1705328625123})


def test_the_vendor_time_wins_over_p_event_time() -> None:
    rec = real(
        "okta/panther-analysis__okta_rules.jsonl", eventType="user.session.impersonation.grant"
    )
    assert rec["published"] != rec.get("p_event_time")
    assert row(rec).audited_at == row({**rec, "p_event_time": "2001-01-01 00:00:00"}).audited_at


def test_gcp_request_time_when_the_entry_has_no_timestamp() -> None:
    """A real GCP record with only ``requestMetadata.requestAttributes.time``."""
    rec = real(
        "gcp-audit/panther-analysis__gcp_audit_rules.jsonl.gz",
        lambda r: (
            r.get("protoPayload", {}).get("methodName")
            == "randomservice.compute.v1.Firewall.CreateIngressRule"
        ),
    )
    assert "timestamp" not in rec and "receiveTimestamp" not in rec
    assert iso_ms(row(rec).audited_at) == "2023-05-23T19:28:44.663Z"
    receive = {**rec, "receiveTimestamp": "2023-05-23T19:28:45Z"}  # the entry's own times first
    assert iso_ms(row(receive).audited_at) == "2023-05-23T19:28:45.000Z"


def test_azure_submission_timestamp() -> None:
    rec = {
        "operationName": {"value": "Microsoft.Compute/virtualMachines/write"},
        "resourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v",
        "submissionTimestamp": "2024-01-15T14:23:46.5Z",
        "caller": "ada@example.com",
    }
    assert detect(rec) == "azure"
    assert iso_ms(row(rec).audited_at) == "2024-01-15T14:23:46.500Z"


def test_a_present_but_unreadable_time_is_not_replaced() -> None:
    """``"redacted"`` is the record's time: the record is reported, not timed by a fallback."""
    rec = {**FLAT_OKTA, "published": "redacted"}
    with pytest.raises(InvalidRecord, match="invalid audited_at"):
        row(rec)


# -- actor ------------------------------------------------------------------------------------


def test_azure_activity_caller_ip_only() -> None:
    """A real Azure Activity record with no caller and no identity, only callerIpAddress."""
    rec = real(
        "azure/panther-analysis__azure_activity_rules.jsonl",
        operationName="Microsoft.Insights/actionGroups/delete",
    )
    assert "caller" not in rec and "identity" not in rec
    assert actor(rec) == ("ip", "1.1.1.1", "1.1.1.1", "")


def test_azure_activity_short_claim_names_before_the_ip() -> None:
    rec = real(
        "azure/panther-analysis__azure_activity_rules.jsonl",
        operationName="Microsoft.Storage/storageAccounts/listkeys/action",
    )
    assert rec["identity"] == {"claims": {"ipaddr": "1.1.1.1", "name": "denethor@lotr.com"}}
    assert actor(rec) == ("user", "", "denethor@lotr.com", "denethor@lotr.com")


def test_azure_activity_evidence_principal() -> None:
    rec = {
        "time": "2024-01-15T14:23:45Z",
        "operationName": "Microsoft.KeyVault/vaults/write",
        "resourceId": "/subscriptions/s/resourceGroups/g",
        "callerIpAddress": "198.51.100.7",
        "identity": {
            "authorization": {
                "evidence": {"principalId": "5d0c", "principalType": "ServicePrincipal"}
            }
        },
    }
    assert actor(rec) == ("service_account", "5d0c", "5d0c", "")


def test_gcp_caller_ip_only() -> None:
    """A real GCP record (Panther spells ``callerIP``) naming its caller only by address."""
    rec = real("gcp-audit/panther-analysis__gcp_audit_rules.jsonl.gz", insertId="199ms9obf4")
    assert "authenticationInfo" not in rec["protoPayload"]
    assert actor(rec) == ("ip", "192.168.1.100", "192.168.1.100", "")
    assert normalise(rec)["metadata"]["caller_ip"] == "192.168.1.100"


def gcp(auth: dict[str, Any], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"methodName": "SetIamPolicy", "authenticationInfo": auth}
    if meta is not None:
        payload["requestMetadata"] = meta
    return {
        "logName": "projects/p/logs/x",
        "timestamp": "2024-01-15T14:23:45Z",
        "protoPayload": payload,
    }


def test_gcp_actor_order() -> None:
    """principalEmail, principalSubject, the delegation chain, the key, the caller's IP."""
    ip = {"callerIp": "203.0.113.5"}
    chain = {
        "serviceAccountDelegationInfo": [
            {"firstPartyPrincipal": {"principalEmail": "deployer@p.iam.gserviceaccount.com"}}
        ]
    }
    key = {"serviceAccountKeyName": "//iam.googleapis.com/projects/p/serviceAccounts/sa/keys/k1"}
    assert actor(gcp({"principalEmail": "ada@example.com", **chain}, ip))[1] == "ada@example.com"
    subject = "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/ada"
    assert actor(gcp({"principalSubject": subject, **chain}, ip))[1] == subject
    assert actor(gcp({**chain, **key}, ip)) == (
        "service_account",
        "deployer@p.iam.gserviceaccount.com",
        "deployer@p.iam.gserviceaccount.com",
        "deployer@p.iam.gserviceaccount.com",
    )
    assert actor(gcp(key, ip)) == ("api_key", key["serviceAccountKeyName"], "k1", "")
    assert actor(gcp({}, ip)) == ("ip", "203.0.113.5", "203.0.113.5", "")
    assert actor(gcp({})) == ("", "", "", "")  # names no caller: blank, not made up


def test_cloudtrail_service_event_without_identity() -> None:
    """A real AwsServiceEvent with no userIdentity: the service acted."""
    rec = real(
        "cloudtrail/panther-analysis__aws_cloudtrail_rules.jsonl.gz",
        eventID="8cb05708-9764-4774-a048-59a4c8e1684d",
    )
    assert "userIdentity" not in rec and rec["eventType"] == "AwsServiceEvent"
    assert actor(rec) == ("system", "sso.amazonaws.com", "sso.amazonaws.com", "")
    same_both_ways(rec)


def test_cloudtrail_key_service_host_and_ip() -> None:
    base = {
        "eventTime": "2024-01-15T14:23:45Z",
        "eventName": "PutObject",
        "eventSource": "s3.amazonaws.com",
        "eventType": "AwsApiCall",
        "awsRegion": "eu-west-1",
    }
    cases = [
        ({"userIdentity": {"accessKeyId": "AKIAEXAMPLE"}}, ("api_key", "AKIAEXAMPLE")),
        ({"sourceIPAddress": "ec2.amazonaws.com"}, ("system", "ec2.amazonaws.com")),
        ({"sourceIPAddress": "198.51.100.1"}, ("ip", "198.51.100.1")),
        (
            {"userIdentity": {"type": "Unknown"}, "sourceIPAddress": "198.51.100.1"},
            ("ip", "198.51.100.1"),
        ),
    ]
    for extra, (kind, name) in cases:
        rec = {**base, **extra}
        assert actor(rec)[0] == kind and actor(rec)[2] == name, extra
        same_both_ways(rec)


def test_kubernetes_user_uid_then_source_ip() -> None:
    """A real Falco trace event, its user removed (the audit policy may omit it)."""
    rec = orjson.loads((DATA / "k8s-audit/falco-trace-files/create_configmap.json").read_bytes())
    bare = {k: v for k, v in rec.items() if k != "user"}
    assert actor(bare) == ("ip", rec["sourceIPs"][0], rec["sourceIPs"][0], "")
    same_both_ways(bare)
    uid = {**bare, "user": {"uid": "7b2c"}}
    assert actor(uid)[1:3] == ("7b2c", "7b2c")
    same_both_ways(uid)


def test_flat_okta_is_detected_and_mapped() -> None:
    assert detect(FLAT_OKTA) == "okta"
    assert actor(FLAT_OKTA) == ("", "00u1abcd", "Ada Lovelace", "ada@example.com")
    r = row(FLAT_OKTA)
    assert r.event_type == "user.session.start"
    lower = {k.lower(): v for k, v in FLAT_OKTA.items()}  # a pipeline that lower-cased the keys
    assert detect(lower) == "okta"
    assert row(lower) == r
    ip_only = {k: v for k, v in FLAT_OKTA.items() if not k.startswith("actor")}
    assert actor(
        {**ip_only, "actorType": None, "actorId": None, "published": "2024-01-15T14:23:45Z"}
    )[:3] == (
        "ip",
        "203.0.113.9",
        "203.0.113.9",
    )


def test_okta_client_ip_when_no_actor() -> None:
    rec = real(
        "okta/panther-analysis__okta_rules.jsonl", eventType="user.session.impersonation.grant"
    )
    bare = {k: v for k, v in rec.items() if k != "actor"}
    ip = rec["client"]["ipAddress"]
    assert actor(bare) == ("ip", ip, ip, "")


def test_github_app_token_and_ip() -> None:
    base = {"@timestamp": 1705328625123, "action": "repo.create", "org": "acme"}
    assert actor({**base, "oauth_application_name": "ci-app", "token_id": 9})[:3] == (
        "service_account",
        "ci-app",
        "ci-app",
    )
    assert actor({**base, "token_id": 9, "actor_ip": "192.0.2.1"})[:2] == ("api_key", "9")
    assert actor({**base, "actor_ip": "192.0.2.1"})[:2] == ("ip", "192.0.2.1")


def test_entra_and_m365_ip() -> None:
    entra = {
        "activityDateTime": "2024-01-15T14:23:45Z",
        "activityDisplayName": "Update user",
        "initiatedBy": {"user": {"id": None, "ipAddress": "192.0.2.9"}},
    }
    assert detect(entra) == "entra"
    assert actor(entra)[:2] == ("ip", "192.0.2.9")
    m365 = {
        "CreationTime": "2024-01-15T14:23:45",
        "Operation": "FileAccessed",
        "Workload": "SharePoint",
    }
    assert actor({**m365, "ClientIP": "192.0.2.10"})[:2] == ("ip", "192.0.2.10")
    assert (
        actor({**m365, "UserId": "ada@example.com", "ClientIP": "192.0.2.10"})[2]
        == "ada@example.com"
    )


def test_openai_and_generic_ip() -> None:
    openai = {
        "id": "audit_log-1",
        "type": "login.succeeded",
        "effective_at": 1705328625,
        "actor": {"type": "session", "session": {"ip_address": "192.0.2.11"}},
    }
    assert actor(openai)[:2] == ("ip", "192.0.2.11")
    generic = {"timestamp": "2024-01-15T14:23:45Z", "action": "login", "client_ip": "192.0.2.12"}
    assert detect(generic) == "generic"
    assert actor(generic)[:2] == ("ip", "192.0.2.12")


# -- how an address-only actor shows and selects --------------------------------------------


def test_ip_actor_in_the_table_facet_and_filter() -> None:
    rec = real(
        "azure/panther-analysis__azure_activity_rules.jsonl",
        operationName="Microsoft.Insights/actionGroups/delete",
    )
    hostile = {**rec, "callerIpAddress": "6.6.6.6\x1b]52;c;cHduZWQ=\x07[/][@click=app.quit]"}
    data = orjson.dumps(rec) + b"\n" + orjson.dumps(hostile) + b"\n"
    store = open_data(data, "two.jsonl")
    assert store.wait(30)
    r = store.row(0) if store.row(0).actor_id == "1.1.1.1" else store.row(1)
    assert actor_text(r).plain == "⌁ 1.1.1.1"
    assert actor_label(r) == "1.1.1.1 [ip]"
    bad = store.row(1) if r is store.row(0) else store.row(0)
    text = actor_text(bad)
    assert "\x1b" not in text.plain and "\x07" not in text.plain
    assert not text.spans or all(s.style == "bold" for s in text.spans)  # no markup parsed
    entries = {(v.value, v.label, v.kind, v.count) for v in store.facets(Query(), NOW).actors}
    assert ("1.1.1.1", "1.1.1.1", "ip", 1) in entries
    assert describe("actors", ("1.1.1.1", "1.1.1.1", None, "ip")) == ("1.1.1.1", "1.1.1.1", "ip")
    assert store.search(Query(actors=frozenset({"1.1.1.1"})), NOW).count == 1


def test_both_paths_agree_on_every_real_record_without_its_identity() -> None:
    """Every real record, also with its identity block and its time removed: the fast path
    (where it answers) gives what the slow path gives."""
    answered = 0
    for path in sorted(DATA.rglob("*")):
        if not path.is_file() or path.suffix not in (".json", ".jsonl", ".gz"):
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        for line in data.splitlines():
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(rec, dict):
                continue
            bare = {k: v for k, v in rec.items() if k not in ("user", "userIdentity")}
            for variant in (rec, bare, {k: v for k, v in bare.items() if "ime" not in k}):
                line = orjson.dumps(variant)
                try:
                    got = index_line(line)
                except InvalidRecord as exc:
                    got = ("invalid", str(exc))
                if got is not None:
                    answered += 1
                    assert got == keys(line), line[:200]
    assert answered > 500


def test_coverage_script_on_the_fixtures() -> None:
    """bench/coverage_formats.py on the fixtures (copies of the shared collection): every
    accepted record names its actor except those that name no caller at all (GCP entries
    without authenticationInfo or address, CloudTrail data events without identity or
    address, GitHub events with an empty actor)."""
    spec = importlib.util.spec_from_file_location(
        "coverage_formats", Path(__file__).parents[1] / "bench" / "coverage_formats.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    by_folder, by_format, errors = module.count(DATA)
    assert errors == ["ai-agent/openai-openapi__list_audit_logs_example_response.json"]
    blank = {name: c["accepted"] - c["complete"] for name, c in by_format.items()}
    assert blank == {name: 0 for name in blank} | {"gcp": 13, "cloudtrail": 3, "github": 2}
    assert by_folder["azure"]["complete"] == by_folder["azure"]["records"] == 215
