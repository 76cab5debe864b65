"""Foreign audit-log formats (issue 6): detection, mapping, loading real samples, the fast path.

The fixtures in tests/data/formats/ are real samples from other projects (see its README.md).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_tui.model import (
    InvalidRecord,
    Row,
    event_time,
    event_type,
    flatten,
    iso_ms,
    parse_time,
)
from audit_tui.query import Query
from audit_tui.sources import formats
from audit_tui.sources.blocks import BlockIndexer, _generic_key
from audit_tui.sources.file import SourceError, open_source
from audit_tui.sources.formats import (
    NAMES,
    describe_formats,
    detect,
    index_line,
    normalise,
)
from audit_tui.store import Store

DATA = Path(__file__).parent / "data" / "formats"


def load(path: Path | str, **kwargs: Any) -> Store:
    store = open_source(str(path), **kwargs)
    assert store.wait(60)
    assert store.error is None, store.error
    return store


def rows(store: Store) -> list[Row]:
    return [store.row(p) for p in range(store.total)]


def cols(row: Row) -> tuple[str, ...]:
    """Audited At, Event Type, Resource (type, id, name), Org, Workspace, Actor (type, id,
    name, email), id."""
    return (
        iso_ms(row.audited_at),
        row.event_type,
        row.resource_type,
        row.resource_id,
        row.resource_name,
        row.organization,
        row.workspace,
        row.actor_type,
        row.actor_id,
        row.actor_name,
        row.actor_email,
        row.id,
    )


def by_id(store: Store, event_id: str) -> Row:
    found = [r for r in rows(store) if r.id == event_id]
    assert len(found) == 1, (event_id, len(found))
    return found[0]


# -- every real sample opens, with the right number of events ---------------------------------

# file -> (events loaded, records skipped); loaded + skipped = the README's event count. Skipped
# records are the samples' deliberately partial events: no time at all ("no audited_at"), a
# placeholder time ("redacted", "...": "invalid audited_at"), or no action ("no event_type").
EXPECTED: dict[str, tuple[int, int]] = {
    "ai-agent/panther-analysis__anthropic_rules.jsonl": (31, 0),
    "ai-agent/panther-analysis__openai_rules.jsonl": (26, 0),
    "azure/panther-analysis__azure_activity_rules.jsonl": (170, 0),
    "azure/panther-analysis__azure_signin_rules.jsonl": (37, 0),
    "azure/plaso__azure_activity_log.jsonl": (4, 0),
    "azure/plaso__microsoft365_audit_log.jsonl": (4, 0),
    "cloudtrail/cloud-custodian-bare/event-cloud-trail-bedrock-create-customization-jobs.json": (
        0,
        1,
    ),
    "cloudtrail/falco__alice_start_instances.json": (1, 0),
    "cloudtrail/panther-analysis__aws_cloudtrail_rules.jsonl.gz": (341, 13),
    "cloudtrail/panther-analysis__scenario_compromised-root-creds_cloudtrail.jsonl": (16, 0),
    "cloudtrail/plaso__aws_cloudtrail_lookupevents.jsonl": (6, 0),
    "gcp-audit/google-cloudevents__LogEntryData-bigqueryjobcompleted.json": (1, 0),
    "gcp-audit/google-cloudevents__LogEntryData-monitoringCreateTimeSeries.json": (1, 0),
    "gcp-audit/google-cloudevents__structured__LogEntryData-bigqueryjobcompleted.json": (1, 0),
    "gcp-audit/panther-analysis__gcp_audit_rules.jsonl.gz": (
        99,
        9,
    ),  # 3 timed by requestMetadata.requestAttributes.time
    "gcp-audit/panther-analysis__gke_k8s_rules.jsonl": (16, 31),
    "gcp-audit/plaso__gcp_logging.jsonl": (11, 0),
    "github-audit/azure-sentinel__Github_sample_logs.json": (63, 0),
    "github-audit/panther-analysis__github_rules.jsonl": (48, 21),
    "k8s-audit/audit2rbac__demo.log": (37, 0),
    "k8s-audit/falco-trace-files/create_configmap_sensitive_values.json": (6, 0),
    "k8s-audit/falco-trace-files/fal_01_003.json": (0, 1),
    "k8s-audit/panther-analysis__aks_kube-audit_rules.jsonl": (1, 23),
    "k8s-audit/panther-analysis__kubernetes_eks_rules.jsonl": (10, 133),
    "okta/demisto__Okta_v2__get_logs_response.json": (2, 0),
    "okta/panther-analysis__okta_rules.jsonl": (40, 27),
    "okta/panther-analysis__scenario_okta-add-administrator_okta.jsonl": (17, 0),
}
# the rest of the single-event fixtures (Falco k8s traces, Cloud Custodian CloudTrail): 1 event
INVALID_JSON = "ai-agent/openai-openapi__list_audit_logs_example_response.json"
DEGENERATE = "k8s-audit/falco-trace-files/fal_01_003.json"
LABELS = {
    "k8s-audit": "Kubernetes audit",
    "cloudtrail": "AWS CloudTrail",
    "gcp-audit": "Google Cloud audit",
    "github-audit": "GitHub audit",
    "okta": "Okta System Log",
    "ai-agent": ("OpenAI audit", "Anthropic activity"),
    "azure": ("Azure Activity Log", "Entra ID audit/sign-in", "Microsoft 365 audit"),
}


def fixture_files() -> list[str]:
    return sorted(
        str(p.relative_to(DATA)) for p in DATA.rglob("*") if p.is_file() and p.name != "README.md"
    )


def readme_counts() -> dict[str, int]:
    """Event counts from the fixtures' README (the numbers come from the shared collection)."""
    counts = {}
    for line in (DATA / "README.md").read_text().splitlines():
        if line.startswith("| `"):
            name = line.split("`")[1]
            cell = line.split("|")[2].strip().split()[0]
            counts[name] = int(cell)
    return counts


def test_fixture_folder_is_small_and_documented() -> None:
    files = fixture_files()
    assert len(files) == 83
    assert sum((DATA / f).stat().st_size for f in files) < 1_000_000
    assert set(readme_counts()) == set(files)


@pytest.mark.parametrize("name", [f for f in fixture_files() if f != INVALID_JSON])
def test_real_sample_opens(name: str) -> None:
    store = load(DATA / name)
    loaded, skipped = EXPECTED.get(name, (1, 0))
    assert (store.total, store.skipped_count) == (loaded, skipped)
    # the README counts {"kind": 0} as 0 events; the loader reports it as one skipped record
    assert loaded + skipped == readme_counts()[name] + (name == DEGENERATE)
    assert {s.reason for s in store.skipped} <= {
        "no audited_at",
        "invalid audited_at",
        "no event_type",
    }
    want = LABELS[name.split("/")[0]]
    if loaded:
        assert any(
            label in store.format_name for label in (want if isinstance(want, tuple) else (want,))
        )
    # every shown row can be built, in the order of the index
    shown = rows(store)
    assert all(r.event_type for r in shown)
    times = [r.audited_at for r in shown]
    assert times == sorted(times, reverse=True)
    store.close()


def test_docs_example_with_trailing_commas_is_a_clean_error() -> None:
    with pytest.raises(SourceError, match="not valid JSON"):
        open_source(str(DATA / INVALID_JSON))


def test_degenerate_kind_zero_is_reported() -> None:
    store = load(DATA / DEGENERATE)
    assert store.total == 0
    assert [(s.line, s.reason) for s in store.skipped] == [(1, "no audited_at")]
    assert store.format_name == "JSON: unrecognised records"


def test_originals_are_kept_unchanged() -> None:
    path = DATA / "k8s-audit/audit2rbac__demo.log"
    store = load(path)
    lines = set(path.read_bytes().splitlines())
    assert {store.raw(p) for p in range(store.total)} == lines


# -- the mapped columns, record by record -----------------------------------------------------


def test_kubernetes_columns() -> None:
    store = load(DATA / "k8s-audit/audit2rbac__demo.log")
    assert store.format_name == "JSON lines: Kubernetes audit"
    row = by_id(store, "033d17af-082d-4b24-aa22-627752e83d71")
    assert cols(row) == (
        "2017-09-11T19:55:05.000Z",
        "list pods",
        "pods",
        "",
        "",
        "",
        "default",
        "system",
        "system:admin",
        "system:admin",
        "",
        "033d17af-082d-4b24-aa22-627752e83d71",
    )
    store = load(DATA / "k8s-audit/falco-trace-files/exec_pod.json")
    assert cols(store.row(0)) == (
        "2018-10-26T13:38:34.867Z",  # requestReceivedTimestamp, microseconds cut to ms
        "create pods/exec",
        "pods",
        "default/nginx-deployment-7998647bdf-phvq7",
        "nginx-deployment-7998647bdf-phvq7",
        "",
        "default",
        "user",
        "minikube-user",
        "minikube-user",
        "",
        "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6",
    )
    assert store.row(0).metadata["code"] == 101


def test_kubernetes_in_the_aks_wrapper() -> None:
    store = load(DATA / "k8s-audit/panther-analysis__aks_kube-audit_rules.jsonl")
    row = store.row(0)
    assert cols(row) == (
        "2024-03-20T10:00:00.000Z",  # the wrapper's (Panther) time: the event has none
        "get pods",
        "pods",
        "default/test-pod",
        "test-pod",
        "cluster",  # .../managedClusters/cluster
        "default",
        "anonymous",
        "system:anonymous",
        "system:anonymous",
        "",
        "abc-123",
    )


def test_eks_and_service_accounts() -> None:
    store = load(DATA / "k8s-audit/panther-analysis__kubernetes_eks_rules.jsonl")
    shown = rows(store)
    assert {r.organization for r in shown} >= {"example-cluster-eks-logs"}  # p_source_label
    types = Counter(r.actor_type for r in shown)
    assert set(types) <= {"user", "anonymous", "system", "service_account"}
    assert "get /version" in {r.event_type for r in shown}  # a non-resource URL


def test_cloudtrail_columns() -> None:
    store = load(DATA / "cloudtrail/falco__alice_start_instances.json")
    assert store.format_name == "JSON: AWS CloudTrail"
    assert cols(store.row(0)) == (
        "2014-03-06T21:22:54.000Z",
        "ec2:StartInstances",
        "instance",
        "i-ebeaf9e2",
        "i-ebeaf9e2",
        "123456789012",
        "us-east-2",
        "IAMUser",
        "arn:aws:iam::123456789012:user/Alice",
        "Alice",
        "",
        "",
    )


def test_cloudtrail_in_eventbridge() -> None:
    store = load(
        DATA / "cloudtrail/cloud-custodian-eventbridge/event-cloud-trail-create-bucket.json"
    )
    assert cols(store.row(0)) == (
        "2016-06-04T12:19:03.000Z",
        "s3:CreateBucket",
        "bucket",
        "custodian-create-bucket-v4",
        "custodian-create-bucket-v4",
        "619193117841",
        "us-west-2",
        "root",
        "arn:aws:iam::619193117841:root",
        "root",
        "",
        "c4fa3db1-2303-40e4-bde0-3b7246bdbf0b",
    )


def test_cloudtrail_lookup_events() -> None:
    store = load(DATA / "cloudtrail/plaso__aws_cloudtrail_lookupevents.jsonl")
    row = by_id(store, "c91c963c-d149-4dc5-9e4a-830da763cf7b")
    assert cols(row) == (
        "2022-02-07T22:19:04.000Z",  # eventTime of the record in CloudTrailEvent (UTC)
        "ec2:CreateSecurityGroup",
        "group",
        "no-access",
        "no-access",
        "012345678901",
        "ap-southeast-2",
        "IAMUser",
        "arn:aws:iam::012345678901:user/fakeusername",
        "fakeusername",
        "",
        "c91c963c-d149-4dc5-9e4a-830da763cf7b",
    )


def test_cloudtrail_assumed_role_and_panther_lowercase() -> None:
    store = load(DATA / "cloudtrail/panther-analysis__aws_cloudtrail_rules.jsonl.gz")
    assert store.format_name == "JSON lines: AWS CloudTrail (Panther export)"
    row = by_id(store, "test-event-id")
    assert row.event_type == "ses:GetSendQuota"
    assert row.actor_type == "AssumedRole"
    assert row.actor_name.startswith("AWSServiceRoleForTrustedAdvisor/TrustedAdvisor_187901811700")
    assert (row.organization, row.workspace) == ("187901811700", "us-east-1")
    row = by_id(store, "b1b2b3b4-4444-5555-6666-EXAMPLE55555")
    assert (row.resource_type, row.resource_id, row.resource_name) == (
        "AWS::S3::Bucket",
        "arn:aws:s3:::my-company-bucket",
        "my-company-bucket",
    )
    # records whose keys Panther lower-cased read like the others
    lower = [
        orjson.loads(line)
        for line in gzip.decompress(
            (DATA / "cloudtrail/panther-analysis__aws_cloudtrail_rules.jsonl.gz").read_bytes()
        ).splitlines()
        if b'"eventname"' in line
    ]
    assert len(lower) == 5
    mapped = []
    for rec in lower:
        try:
            mapped.append(flatten(normalise(rec)))
        except InvalidRecord:
            continue
    assert len(mapped) == 5 and all(":" in row.event_type for row in mapped)
    row = [r for r in mapped if r.id == "5d4b45ed-a15c-41b6-80e9-031729fa060d"][0]
    assert (iso_ms(row.audited_at), row.event_type, row.workspace, row.actor_id) == (
        "2023-01-10T21:04:02.000Z",  # eventtime, zone-less with a space
        "dynamodb:GetRecords",
        "eu-west-1",
        "arn:aws:test_arn",
    )


def test_gcp_columns() -> None:
    store = load(DATA / "gcp-audit/plaso__gcp_logging.jsonl")
    assert store.format_name == "JSON lines: Google Cloud audit"
    assert cols(by_id(store, "-duywnve29mpi")) == (
        "2024-04-26T20:10:10.024Z",
        "beta.compute.instances.insert",
        "instances",
        "projects/1234567890/zones/us-central1-b/instances/fake-compute-instance",
        "fake-compute-instance",
        "fake-project",
        "us-central1-b",
        "user",
        "user:fake-account@fake-project.com",
        "fake-account@fake-project.com",
        "fake-account@fake-project.com",
        "-duywnve29mpi",
    )
    # a non-audit entry of the same export is typed by its log
    assert by_id(store, "1io3yo2fursxdi").event_type == "testlog"
    # nanoseconds: receiveTimestamp 02:57:47.834659236Z is not used, timestamp is
    assert iso_ms(by_id(store, "iv9wx9d16l2").audited_at) == "2021-10-19T02:57:47.339Z"


def test_gcp_cloudevent_and_gke() -> None:
    name = "gcp-audit/google-cloudevents__structured__LogEntryData-bigqueryjobcompleted.json"
    row = load(DATA / name).row(0)
    assert cols(row)[:8] == (
        "2021-11-25T21:56:00.276Z",
        "jobservice.jobcompleted",
        "jobs",
        "projects/test-project/jobs/sample-job",
        "sample-job",
        "test-project",
        "",
        "service_account",
    )
    assert row.actor_email == "robot@test-project.iam.gserviceaccount.com"
    store = load(DATA / "gcp-audit/panther-analysis__gke_k8s_rules.jsonl")
    gke = [r for r in rows(store) if r.event_type == "io.k8s.core.v1.pods.exec.create"]
    assert gke and all(r.resource_type == "pods" for r in gke)
    assert {(r.workspace, r.organization) for r in gke} == {
        ("example", "rigup-production"),
        ("istio-system", "rigup-production"),
    }


def test_github_columns() -> None:
    store = load(DATA / "github-audit/azure-sentinel__Github_sample_logs.json")
    assert store.format_name == "JSON lines: GitHub audit"
    assert cols(by_id(store, "FpmfFy7BlV_BRVzeuBc3Ww")) == (
        "2024-03-26T05:33:15.806Z",  # @timestamp 1711431195806 (epoch ms)
        "user.login",
        "",
        "",
        "",
        "",
        "",
        "user",
        "13924979",
        "siteshjha11",
        "",
        "FpmfFy7BlV_BRVzeuBc3Ww",
    )
    store = load(DATA / "github-audit/panther-analysis__github_rules.jsonl")
    row = [r for r in rows(store) if r.event_type == "protected_branch.destroy"][0]
    assert cols(row)[:11] == (
        "2021-05-18T02:31:58.553Z",
        "protected_branch.destroy",
        "repository",
        "my-org/my-repo",
        "my-org/my-repo",
        "my-org",
        "my-org/my-repo",
        "user",
        "cat",
        "cat",
        "",
    )


def test_github_csv_export(tmp_path: Path) -> None:
    """GitHub's CSV export: the JSON export's keys as columns, every value text."""
    src = DATA / "github-audit/azure-sentinel__Github_sample_logs.json"
    records = [orjson.loads(line) for line in src.read_bytes().splitlines() if line.strip()]
    columns = ["@timestamp", "_document_id", "action", "actor", "actor_id", "created_at", "org",
               "repo", "user", "operation_type"]  # fmt: skip
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: "" if rec.get(k) in (None, []) else rec.get(k) for k in columns})
    path = tmp_path / "export-acme-1711431195.csv"
    path.write_text(buf.getvalue())
    store = load(path)
    assert store.format_name == "CSV: GitHub audit"
    assert (store.total, store.skipped_count) == (63, 0)
    row = by_id(store, "FpmfFy7BlV_BRVzeuBc3Ww")
    assert (iso_ms(row.audited_at), row.event_type, row.actor_name) == (
        "2024-03-26T05:33:15.806Z",
        "user.login",
        "siteshjha11",
    )


def test_okta_columns() -> None:
    store = load(DATA / "okta/demisto__Okta_v2__get_logs_response.json")
    assert store.format_name == "JSON: Okta System Log"
    assert cols(store.row(0)) == (
        "2021-12-13T01:47:08.556Z",
        "group.user_membership.remove",
        "User",
        "123",
        "test this",
        "",
        "",
        "user",
        "123",
        "dummy name",
        "",
        "123",
    )
    store = load(DATA / "okta/panther-analysis__scenario_okta-add-administrator_okta.jsonl")
    grant = [r for r in rows(store) if r.event_type == "user.account.privilege.grant"][0]
    assert (grant.actor_name, grant.actor_email, grant.resource_name) == (
        "Jack Naglieri",
        "jack.naglieri@runpanther.io",
        "Thomas Kan",
    )


def test_azure_activity_columns() -> None:
    store = load(DATA / "azure/plaso__azure_activity_log.jsonl")
    assert store.format_name == "JSON lines: Azure Activity Log"
    row = by_id(store, "648230f9-fba4-4def-8a83-118b158b748a")
    assert cols(row) == (
        "2022-02-09T03:04:26.492Z",
        "Microsoft.Compute/virtualMachines/delete",
        "Microsoft.Compute/virtualMachines",
        "/subscriptions/12345678-9abc-defg-hijk-lmnopqrstuvw/resourceGroups/test-resource-group"
        "/providers/Microsoft.Compute/virtualMachines/test-vm",
        "test-vm",
        "12345678-9abc-defg-hijk-lmnopqrstuvw",
        "test-resource-group",
        "user",
        "12345678-9abc-defg-hijk-lmnopqrstuvw",
        "fakeemail@fakedomain.com",
        "fakeemail@fakedomain.com",
        "648230f9-fba4-4def-8a83-118b158b748a",
    )
    store = load(DATA / "azure/panther-analysis__azure_activity_rules.jsonl")
    deleted = [
        r
        for r in rows(store)
        if r.event_type == "Microsoft.Insights/actionGroups/delete"
        and r.workspace == "myresourcegroup"
    ]
    assert deleted and {r.organization for r in deleted} == {"12345678-1234-1234-1234-123456789abc"}
    assert {r.resource_name for r in deleted} == {"securityteam"}
    # a 7-digit fraction (Azure) and 9 digits
    times = {iso_ms(r.audited_at) for r in rows(store)}
    assert "2024-12-17T10:30:00.000Z" in times and "2025-12-22T08:46:29.678Z" in times


def test_entra_columns() -> None:
    store = load(DATA / "azure/panther-analysis__azure_signin_rules.jsonl")
    assert store.format_name == "JSON lines: Entra ID audit/sign-in (Panther export)"
    row = by_id(store, "policy-update-002")
    assert cols(row) == (
        "2025-01-15T15:30:40.789Z",  # "2025-01-15 15:30:40.789": zone-less, a space
        "Authentication Methods Policy Update",
        "Policy",
        "policy-auth-methods-456",
        "Authentication Methods Policy",
        "tenant-xyz",
        "",
        "user",
        "admin-legitimate-002",
        "Legitimate Admin",
        "admin@company.com",
        "policy-update-002",
    )
    signins = {
        (r.event_type, r.resource_type, r.resource_name, r.actor_email)
        for r in rows(store)
        if r.id == "d9ae0e20-c959-42a3-ba74-00f59ac9f6c6"
    }
    assert signins == {
        ("Sign-in activity", "application", "Office 365 Exchange Online", email)
        for email in ("homer.simpson@springfield.org", "eve@lexcorp.com")
    }


def test_m365_columns() -> None:
    store = load(DATA / "azure/plaso__microsoft365_audit_log.jsonl")
    assert cols(by_id(store, "0a454a7b-fbac-4329-a20c-72bad3bc5000")) == (
        "2022-05-08T15:13:41.000Z",  # zone-less CreationTime is UTC
        "UserLoggedIn",
        "",
        "00000003-0000-0000-c000-000000000000",
        "00000003-0000-0000-c000-000000000000",
        "5a0f38c6-710b-4503-92c0-3a9f6e00f726",
        "AzureActiveDirectory",
        "user",
        "55425677-a6b7-4df1-8068-709eb4162d42",
        "piet@sst5f.onmicrosoft.com",
        "piet@sst5f.onmicrosoft.com",
        "0a454a7b-fbac-4329-a20c-72bad3bc5000",
    )


def test_openai_columns() -> None:
    store = load(DATA / "ai-agent/panther-analysis__openai_rules.jsonl")
    assert store.format_name == "JSON lines: OpenAI audit"
    row = [r for r in rows(store) if r.id == "audit_log-test001"][0]
    assert cols(row)[:11] == (
        "2023-12-18T00:00:00.000Z",  # effective_at 1702857600 (epoch seconds)
        "role.assignment.created",
        "role.assignment",
        "role_assignment_role-api-organization-owner__api-organization__org-abc123_user-newadmin456",
        "role_assignment_role-api-organization-owner__api-organization__org-abc123_user-newadmin456",
        "",
        "",
        "user",
        "user-admin123",
        "admin@company.com",
        "admin@company.com",
    )
    by_type = {r.actor_type for r in rows(store)}
    assert {"user", "api_key", "service_account"} <= by_type


def test_openai_page_and_project() -> None:
    page = {
        "object": "list",
        "data": [
            {
                "id": "audit_log-1",
                "type": "api_key.created",
                "effective_at": 1722461446,
                "project": {"id": "proj_1", "name": "Research"},
                "actor": {
                    "type": "api_key",
                    "api_key": {"type": "user", "user": {"id": "user-1", "email": "a@x.com"}},
                },
                "api_key.created": {"id": "key_1", "data": {"scopes": ["all"]}},
            }
        ],
        "has_more": False,
    }
    row = flatten(normalise(page["data"][0]))  # type: ignore[index]
    assert cols(row) == (
        "2024-07-31T21:30:46.000Z",
        "api_key.created",
        "api_key",
        "key_1",
        "key_1",
        "",
        "Research",
        "api_key",
        "user-1",
        "a@x.com",
        "a@x.com",
        "audit_log-1",
    )


def test_anthropic_columns() -> None:
    store = load(DATA / "ai-agent/panther-analysis__anthropic_rules.jsonl")
    assert store.format_name == "JSON lines: Anthropic activity"
    row = by_id(store, "evt_01ABC123")
    assert cols(row) == (
        "2026-04-28T08:00:00.000Z",
        "claude_chat_access_failed",
        "claude_chat",
        "chat_01ABC",
        "chat_01ABC",
        "org_123",
        "",
        "user",
        "user_01XYZ",
        "user@example.com",
        "user@example.com",
        "evt_01ABC123",
    )
    kinds = {r.actor_type for r in rows(store)}
    assert {"user", "api_key", "anonymous"} <= kinds


# -- detection ------------------------------------------------------------------------------


def first_record(name: str) -> dict[str, Any]:
    data = (DATA / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        doc = orjson.loads(data.split(b"\n", 1)[0])
    if isinstance(doc, list):
        return doc[0]  # type: ignore[no-any-return]
    if "Records" in doc:
        return doc["Records"][0]  # type: ignore[no-any-return]
    return doc  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("k8s-audit/audit2rbac__demo.log", "k8s"),
        ("k8s-audit/panther-analysis__aks_kube-audit_rules.jsonl", "k8s"),
        ("cloudtrail/falco__alice_start_instances.json", "cloudtrail"),
        ("cloudtrail/cloud-custodian-eventbridge/event-cloud-trail-s3.json", "cloudtrail"),
        ("cloudtrail/plaso__aws_cloudtrail_lookupevents.jsonl", "cloudtrail"),
        ("gcp-audit/plaso__gcp_logging.jsonl", "gcp"),
        ("gcp-audit/google-cloudevents__structured__LogEntryData-bigqueryjobcompleted.json", "gcp"),
        ("github-audit/azure-sentinel__Github_sample_logs.json", "github"),
        ("okta/demisto__Okta_v2__get_logs_response.json", "okta"),
        ("azure/plaso__azure_activity_log.jsonl", "azure"),
        ("azure/panther-analysis__azure_activity_rules.jsonl", "azure"),
        ("azure/panther-analysis__azure_signin_rules.jsonl", "entra"),
        ("azure/plaso__microsoft365_audit_log.jsonl", "m365"),
        ("ai-agent/panther-analysis__openai_rules.jsonl", "openai"),
        ("ai-agent/panther-analysis__anthropic_rules.jsonl", "anthropic"),
    ],
)
def test_detect(name: str, fmt: str) -> None:
    assert detect(first_record(name)) == fmt


def test_native_records_are_returned_as_they_are(make_event: Any) -> None:
    ev = make_event()
    assert normalise(ev) is ev
    assert detect(ev) == "native"
    assert normalise(ev, "k8s") is ev  # a native record stays native, whatever is forced


def test_mixed_file(tmp_path: Path, make_event: Any) -> None:
    """One file, four shapes: each line is read as its own format."""
    lines = [
        orjson.dumps(make_event(id="n1", audited_at="2026-11-19T10:00:00Z")),
        (DATA / "k8s-audit/audit2rbac__demo.log").read_bytes().splitlines()[0],
        orjson.dumps(first_record("cloudtrail/falco__alice_start_instances.json")),
        orjson.dumps(first_record("okta/demisto__Okta_v2__get_logs_response.json")),
        orjson.dumps({"kind": 0}),
        b"not json",
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    store = load(path)
    assert store.total == 4
    assert [(s.line, s.reason) for s in store.skipped] == [
        (5, "no audited_at"),
        (6, "invalid JSON"),
    ]
    assert {r.event_type for r in rows(store)} == {
        "user.login",
        "list pods",
        "ec2:StartInstances",
        "group.user_membership.remove",
    }
    for label in ("native", "Kubernetes audit", "AWS CloudTrail", "Okta System Log"):
        assert label in store.format_name


def test_describe_formats() -> None:
    k8s = first_record("k8s-audit/audit2rbac__demo.log")
    trail = first_record("cloudtrail/falco__alice_start_instances.json")
    assert describe_formats([]) == ""
    assert describe_formats([{"audited_at": "2026-01-01", "event_type": "x"}]) == ""
    assert describe_formats([k8s, k8s]) == "Kubernetes audit"
    assert describe_formats([k8s, trail, trail]) == "AWS CloudTrail + Kubernetes audit"
    assert describe_formats([{"kind": 0}]) == "unrecognised records"
    assert describe_formats([trail], "cloudtrail") == "AWS CloudTrail (forced)"


# -- envelopes ------------------------------------------------------------------------------


def test_cloudtrail_records_file_and_cli_envelopes(tmp_path: Path) -> None:
    lookup = [
        orjson.loads(line)
        for line in (DATA / "cloudtrail/plaso__aws_cloudtrail_lookupevents.jsonl")
        .read_bytes()
        .splitlines()
    ]
    # `aws cloudtrail lookup-events` prints {"Events": [...], "NextToken": ...}
    path = tmp_path / "lookup.json"
    path.write_bytes(orjson.dumps({"Events": lookup, "NextToken": "x"}))
    store = load(path)
    assert (store.total, store.format_name) == (6, "JSON: AWS CloudTrail")
    # a CloudTrail log file as S3 holds it: gzipped, one line
    trail = first_record("cloudtrail/falco__alice_start_instances.json")
    path = tmp_path / "123456789012_CloudTrail_us-east-2_20140306T2125Z_abc.json.gz"
    path.write_bytes(gzip.compress(orjson.dumps({"Records": [trail, trail]})))
    store = load(path)
    assert (store.total, store.format_name) == (2, "JSON: AWS CloudTrail")


def test_azure_rest_value_envelope(tmp_path: Path) -> None:
    recs = [
        orjson.loads(line)
        for line in (DATA / "azure/plaso__azure_activity_log.jsonl").read_bytes().splitlines()
    ]
    path = tmp_path / "activity.json"
    path.write_bytes(orjson.dumps({"value": recs, "nextLink": None}))
    store = load(path)
    assert (store.total, store.format_name) == (4, "JSON: Azure Activity Log")


# -- forcing a format -----------------------------------------------------------------------


def test_names() -> None:
    assert NAMES[0] == "native"
    assert {"k8s", "cloudtrail", "gcp", "github", "okta", "azure", "entra", "m365", "openai",
            "anthropic", "generic"} <= set(NAMES)  # fmt: skip
    assert formats.resolve("Kubernetes") == "k8s"
    assert formats.resolve("AUTO") is None
    with pytest.raises(ValueError, match="choose one of"):
        formats.resolve("syslog")


def test_forced_format(tmp_path: Path) -> None:
    # a generic-looking record read as CloudTrail
    rec = {"eventTime": "2026-01-02T03:04:05Z", "eventName": "X", "actor": "bob"}
    path = tmp_path / "a.jsonl"
    path.write_bytes(orjson.dumps(rec) + b"\n")
    store = load(path)
    assert store.row(0).event_type == "X"  # auto: generic mapping (eventName)
    assert store.format_name == "JSON lines: generic mapping"
    store = load(path, input_format="cloudtrail")
    assert store.format_name == "JSON lines: AWS CloudTrail (forced)"
    assert (store.row(0).event_type, store.row(0).actor_name) == ("X", "")
    # forcing a format the records are not: they are skipped, with the usual reason
    store = load(DATA / "okta/demisto__Okta_v2__get_logs_response.json", input_format="k8s")
    assert (store.total, {s.reason for s in store.skipped}) == (0, {"no audited_at"})
    store = load(path, input_format="auto")
    assert store.format_name == "JSON lines: generic mapping"
    with pytest.raises(SourceError, match="unknown input format"):
        open_source(str(path), input_format="syslog")


def test_forced_format_travels_with_its_source(tmp_path: Path) -> None:
    """Forcing a format for one source changes nothing for another, nor the environment."""
    import os

    rec = {"eventTime": "2026-01-02T03:04:05Z", "eventName": "X", "actor": "bob"}
    path = tmp_path / "a.jsonl"
    path.write_bytes(orjson.dumps(rec) + b"\n")
    environ = dict(os.environ)
    forced = load(path, input_format="cloudtrail")
    auto = load(path)
    assert dict(os.environ) == environ
    assert forced.format_name == "JSON lines: AWS CloudTrail (forced)"
    assert auto.format_name == "JSON lines: generic mapping"
    assert (forced.row(0).actor_name, auto.row(0).actor_name) == ("", "bob")


# -- times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2021-10-19T02:57:47.834659236Z", "2021-10-19T02:57:47.834Z"),  # 9 digits
        ("2024-12-17T10:30:00.1234567Z", "2024-12-17T10:30:00.123Z"),  # 7 digits
        ("2024-01-19 13:47:18.279921000", "2024-01-19T13:47:18.279Z"),  # space, no zone
        ("2022-05-07T12:55:53", "2022-05-07T12:55:53.000Z"),  # no zone: UTC
        ("2022-02-08 09:23:37+11:00", "2022-02-07T22:23:37.000Z"),
        ("2022-02-08T09:23:37.5 +11:00", "2022-02-07T22:23:37.500Z"),
        ("2022-02-08T09:23:37.123456789 UTC", "2022-02-08T09:23:37.123Z"),
        (1711431195806, "2024-03-26T05:33:15.806Z"),  # epoch ms
        ("1711431195806", "2024-03-26T05:33:15.806Z"),  # epoch ms as text (CSV)
        (1702857600, "2023-12-18T00:00:00.000Z"),  # epoch s
        (1702857600.25, "2023-12-18T00:00:00.250Z"),
        ("1970-01-02T00:00:00Z", "1970-01-02T00:00:00.000Z"),  # under 1e11 ms: still right
    ],
)
def test_times(value: Any, expected: str) -> None:
    rec = {"timestamp": value, "action": "x"}
    assert iso_ms(event_time(normalise(rec))) == expected


@pytest.mark.parametrize(
    "value",
    ["20261120", "1794110351600", "2026-11-20T14:03:22.5 +02:00", 1794110351, "6000-01-01T00:00Z"],
)
def test_foreign_times_read_as_native_ones(value: Any) -> None:
    """One rule: a foreign record's time means what the same value means in a native record
    (digits are an epoch number, never a basic-format ISO date)."""
    foreign = event_time(normalise({"timestamp": value, "action": "x"}))
    assert foreign == parse_time(value)


def test_bad_times_are_reported() -> None:
    for value, reason in [("redacted", "invalid audited_at"), ("...", "invalid audited_at")]:
        with pytest.raises(InvalidRecord, match=reason):
            event_time(normalise({"published": value, "eventType": "user.session.start"}))


# -- generic mapping ------------------------------------------------------------------------


def test_generic_mapping() -> None:
    row = flatten(
        normalise(
            {
                "@timestamp": "2026-03-01T10:00:00Z",
                "event": {"action": "user-login", "category": ["authentication"]},
                "user": {"name": "ada", "email": "ada@example.com", "id": "u1"},
                "tenant": "acme",
                "project": "web",
            }
        )
    )
    assert cols(row)[:11] == (
        "2026-03-01T10:00:00.000Z",
        "user-login",
        "",
        "",
        "",
        "acme",
        "web",
        "",
        "u1",
        "ada",
        "ada@example.com",
    )
    with pytest.raises(InvalidRecord, match="no audited_at"):
        flatten(normalise({"kind": 0}))
    with pytest.raises(InvalidRecord, match="no audited_at"):
        flatten(normalise({"action": "login"}))
    with pytest.raises(InvalidRecord, match="no event_type"):
        flatten(normalise({"time": "2026-03-01T10:00:00Z", "x": 1}))


# -- the index's fast path agrees with the slow path ----------------------------------------


def slow(line: bytes, forced: str | None = None) -> tuple[Any, ...]:
    rec = orjson.loads(line)
    view = normalise(rec, forced)
    try:
        return (
            event_time(view),
            event_type(view),
            _generic_key(view.get("actor")),
            _generic_key(view.get("workspace")),
        )
    except InvalidRecord as exc:
        return ("invalid", str(exc))


def fast(line: bytes, forced: str | None = None) -> tuple[Any, ...] | None:
    try:
        return index_line(line, forced)
    except InvalidRecord as exc:
        return ("invalid", str(exc))


def all_lines() -> list[bytes]:
    out = []
    for name in fixture_files():
        data = (DATA / name).read_bytes()
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        for line in data.splitlines():
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(value, dict):
                out.append(line)
                # the same record as JSON lines would give it, also without its time
                out.append(orjson.dumps(value))
                out.append(orjson.dumps({k: v for k, v in value.items() if "ime" not in k}))
    return out


def test_fast_path_matches_slow_path() -> None:
    used = Counter()
    for line in all_lines():
        got = fast(line)
        if got is not None:
            used[got[0] == "invalid"] += 1
            assert got == slow(line), line[:200]
    assert used[False] > 200 and used[True] > 50  # it is taken, for good and bad records


def test_fast_path_with_forced_formats() -> None:
    lines = all_lines()
    for name in ("k8s", "cloudtrail", "gcp"):
        for line in lines:
            got = fast(line, name)
            if got is not None:
                assert got == slow(line, name), (name, line[:200])


def test_indexer_matches_rows() -> None:
    """What the index holds (time, type) is what the row shows, for every loaded record."""
    data = gzip.decompress(
        (DATA / "cloudtrail/panther-analysis__aws_cloudtrail_rules.jsonl.gz").read_bytes()
    )
    result, _ = BlockIndexer().index_block(data, 0)
    assert result.count == 341
    store = load(DATA / "cloudtrail/panther-analysis__aws_cloudtrail_rules.jsonl.gz")
    assert sorted(r.audited_at for r in rows(store)) == sorted(result.ts.tolist())


# -- robustness -----------------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=12)
_json = st.recursive(
    _scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# keys that steer detection and mapping, so the mappers see hostile shapes of their own keys
_KEYS = st.sampled_from(
    """verb objectRef user impersonatedUser requestReceivedTimestamp requestURI kind apiVersion
    category properties eventName eventSource eventTime userIdentity awsRegion resources
    requestParameters detail detail-type CloudTrailEvent EventName EventSource EventTime
    Resources protoPayload logName timestamp resource specversion data published eventType
    target actor operationName time resourceId claims caller CreationTime Operation Workload
    effective_at type organization_id created_at action org repo @timestamp p_log_type
    p_event_time eventname useridentity protopayload""".split()
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(_KEYS | st.text(max_size=6), _json, max_size=8))
def test_normalise_never_crashes(rec: dict[str, Any]) -> None:
    try:
        flatten(normalise(rec))
    except InvalidRecord:
        pass
    line = orjson.dumps(rec, option=orjson.OPT_NON_STR_KEYS)
    got = fast(line)
    if got is not None:
        assert got == slow(line)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(all_lines()), st.data())
def test_mutated_real_records(line: bytes, data: st.DataObject) -> None:
    """Real records with one value replaced by anything: a skipped record at worst."""
    rec = orjson.loads(line)
    key = data.draw(st.sampled_from(sorted(rec)))
    rec[key] = data.draw(_json)
    try:
        flatten(normalise(rec))
    except InvalidRecord:
        pass
    mutated = orjson.dumps(rec)
    got = fast(mutated)
    if got is not None:
        assert got == slow(mutated)


def test_forced_format_in_the_parallel_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader's worker processes (spawned) read records as the parent was told to."""
    from audit_tui.query import Query
    from audit_tui.sources import file as file_source

    rec = {"eventTime": "2026-01-02T03:04:05Z", "eventName": "X", "actor": "bob"}
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(orjson.dumps({**rec, "n": i}) + b"\n" for i in range(2000)))
    monkeypatch.setattr(file_source, "PARALLEL_MIN_BYTES", 0)
    for forced, actors in ((None, {"bob"}), ("cloudtrail", set())):
        store = load(path, input_format=forced or "auto")
        try:
            assert type(store.text).__name__ == "ShardedTextIndex"
            assert store.total == 2000
            facets = store.facets(Query())
            assert {f.label for f in facets.actors} & {"bob"} == actors
        finally:
            store.close()


def test_forced_format_in_query_output(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """`audit-tui query --input-format` reads the rows it prints (CSV, table) as forced."""
    from audit_tui.commands.main import main

    rec = {"eventTime": "2026-01-02T03:04:05Z", "eventName": "X", "actor": "bob"}
    path = tmp_path / "a.jsonl"
    path.write_bytes(orjson.dumps(rec) + b"\n")
    capsysbinary.readouterr()
    assert main(["query", str(path), "--format", "csv"]) == 0
    auto = capsysbinary.readouterr().out.decode().splitlines()[1].split(",")
    assert main(["query", str(path), "--format", "csv", "--input-format", "cloudtrail"]) == 0
    forced = capsysbinary.readouterr().out.decode().splitlines()[1].split(",")
    assert (auto[1], auto[9]) == ("X", "bob")  # event type, actor name
    assert (forced[1], forced[9]) == ("X", "")


def test_kubernetes_impersonation_is_a_fact_of_each_event() -> None:
    """audit2rbac's demo: system:admin acts as bob in some events only. The actor (and its facet
    count) is system:admin in all of them; each row says whom it impersonated."""
    path = DATA / "k8s-audit/audit2rbac__demo.log"
    lines = [orjson.loads(x) for x in path.read_bytes().splitlines() if x.strip()]
    as_bob = sum(1 for r in lines if (r.get("impersonatedUser") or {}).get("username") == "bob")
    admin = sum(1 for r in lines if (r.get("user") or {}).get("username") == "system:admin")
    assert 0 < as_bob < admin
    store = load(path)
    rows = store.rows(store.search(Query()).positions)
    assert sum(1 for r in rows if r.actor_as == "bob") == as_bob
    assert all(r.actor_as == "" for r in rows if r.actor_name != "system:admin")
    actors = {v.label: v.count for v in store.facets(Query()).get("actors")}
    assert actors["system:admin"] == admin
    assert not any("(as" in label for label in actors)
    assert by_id(store, "033d17af-082d-4b24-aa22-627752e83d71").actor_as == "bob"
