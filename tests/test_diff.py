"""What a change changed: the structural diff, the states each format records, a Kubernetes
update against its object's previous event, the previous change of a resource, and
``query --format diff``."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from audit_tui import diff
from audit_tui.changes import event_changes, previous_change
from audit_tui.diff import ADDED, CHANGED, REMOVED, SET, Change, changes_in, structural_diff

DATA = Path(__file__).parent / "data" / "formats"


def _records(path: Path) -> list[dict[str, Any]]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [orjson.loads(line) for line in raw.splitlines() if line.strip()]


# -- the structural diff ------------------------------------------------------------------------


def test_nested_keys_added_removed_changed_with_paths() -> None:
    before = {"model": "gpt-4o", "limits": {"tokens": 1024, "rpm": 60}, "old": True}
    after = {"model": "gpt-4o-mini", "limits": {"tokens": 1024, "rpm": 120}, "tools": ["a"]}
    assert structural_diff(before, after) == [
        Change("model", CHANGED, "gpt-4o", "gpt-4o-mini"),
        Change("limits.rpm", CHANGED, 60, 120),
        Change("old", REMOVED, old=True),
        Change("tools", ADDED, new=["a"]),
    ]


def test_an_item_inserted_in_a_list_is_one_addition_not_a_shift() -> None:
    found = structural_diff({"tools": ["a", "b", "c"]}, {"tools": ["a", "x", "b", "c"]})
    assert found == [Change("tools.1", ADDED, new="x")]
    found = structural_diff({"tools": ["a", "b", "c"]}, {"tools": ["a", "c"]})
    assert found == [Change("tools.1", REMOVED, old="b")]


def test_a_changed_item_of_the_same_length_is_compared_inside() -> None:
    before = {"rules": [{"verbs": ["get"]}, {"verbs": ["list"]}]}
    after = {"rules": [{"verbs": ["get", "delete"]}, {"verbs": ["list"]}]}
    assert structural_diff(before, after) == [Change("rules.0.verbs.1", ADDED, new="delete")]


def test_equal_states_and_type_changes() -> None:
    assert structural_diff({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) == []
    assert structural_diff({"a": 1}, {"a": "1"}) == [Change("a", CHANGED, 1, "1")]
    assert structural_diff({"a": 1}, {"a": True}) == [Change("a", CHANGED, 1, True)]


def test_change_lines_are_sanitised() -> None:
    line = diff.change_line(Change("a\x1b]52;c;x\x07", CHANGED, "\x1b[31mred", "ok\u202e"))
    assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
    assert line.startswith("~ a\\e]52;c;x\\x07: ")


# -- per format --------------------------------------------------------------------------------


def test_native_changes_before_after(make_event: Any) -> None:
    rec = make_event(metadata={"changes": {"before": {"model": "a"}, "after": {"model": "b"}}})
    assert changes_in(rec, "native") == [Change("model", CHANGED, "a", "b")]
    assert changes_in(make_event(), "native") is None


def test_entra_modified_properties_from_the_real_sample() -> None:
    recs = _records(DATA / "azure" / "panther-analysis__azure_signin_rules.jsonl")
    found = [c for r in recs for c in (changes_in(r, "entra") or [])]
    assert (
        Change(
            "Authentication Methods Policy.OpenIdConnectConfiguration.discoveryUrl",
            CHANGED,
            "https://login.microsoftonline.com/tenant-abc/.well-known/openid-configuration",
            "https://attacker-idp.evil.com/.well-known/openid-configuration",
        )
        in found
    )


def test_gcp_binding_deltas_from_the_real_sample() -> None:
    recs = _records(DATA / "gcp-audit" / "panther-analysis__gcp_audit_rules.jsonl.gz")
    found = [c for r in recs for c in (changes_in(r, "gcp") or [])]
    assert Change("bindings.roles/owner", ADDED, new="user:backdoor@example.com") in found
    assert Change("bindings.roles/storage.objectViewer", ADDED, new="allUsers") in found


def test_github_old_values_beside_new_ones_from_the_real_sample() -> None:
    recs = _records(DATA / "github-audit" / "panther-analysis__github_rules.jsonl")
    found = [c for r in recs for c in (changes_in(r, "github") or [])]
    assert (
        Change(
            "ruleset_rules_updated.0.parameters.automatic_copilot_code_review_enabled",
            CHANGED,
            False,
            True,
        )
        in found
    )


def test_cloudtrail_update_parameters_are_the_values_set() -> None:
    rec = {
        "eventName": "PutBucketPolicy",
        "requestParameters": {"bucketName": "b", "policy": {"Statement": [{"Effect": "Allow"}]}},
    }
    assert changes_in(rec, "cloudtrail") == [
        Change("bucketName", SET, new="b"),
        Change("policy.Statement.0.Effect", SET, new="Allow"),
    ]
    # reads and data writes record no change of settings
    assert changes_in({**rec, "eventName": "GetBucketPolicy"}, "cloudtrail") is None
    assert changes_in({**rec, "eventName": "PutObject"}, "cloudtrail") is None


def test_hostile_shapes_give_no_changes_and_no_crash() -> None:
    for rec in (
        {"metadata": {"changes": "x"}},
        {"properties": {"targetResources": [1, {"modifiedProperties": [None, 3]}]}},
        {"protoPayload": {"serviceData": {"policyDelta": {"bindingDeltas": [7]}}}},
        {"eventName": 5, "requestParameters": []},
    ):
        for fmt in ("native", "azure", "gcp", "cloudtrail", "github"):
            assert changes_in(rec, fmt) in (None, [])


# -- Kubernetes: an update against the object's previous event --------------------------------


def _k8s(when: str, verb: str, replicas: int, image: str, audit_id: str) -> dict[str, Any]:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "prod", "resourceVersion": audit_id},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"image": image}]}}},
    }
    return {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse",
        "auditID": audit_id,
        "stage": "ResponseComplete",
        "verb": verb,
        "requestURI": "/apis/apps/v1/namespaces/prod/deployments/web",
        "user": {"username": "alice@example.com"},
        "objectRef": {
            "resource": "deployments",
            "namespace": "prod",
            "name": "web",
            "apiGroup": "apps",
            "apiVersion": "v1",
        },
        "responseStatus": {"code": 200},
        "requestObject": obj,
        "responseObject": obj,
        "requestReceivedTimestamp": when,
        "stageTimestamp": when,
    }


def _deployments() -> list[dict[str, Any]]:
    return [
        _k8s("2026-11-19T10:00:00Z", "create", 2, "web:1.0", "a1"),
        _k8s("2026-11-19T11:00:00Z", "get", 2, "web:1.0", "a2"),
        _k8s("2026-11-19T12:00:00Z", "update", 3, "web:1.1", "a3"),
        _k8s("2026-11-19T13:00:00Z", "patch", 3, "web:1.0", "a4"),  # the rollback
    ]


def test_k8s_update_is_compared_with_the_objects_previous_event(open_store: Any) -> None:
    store = open_store(_deployments(), "audit.log")
    assert store.total == 4
    ids = [store.record(p)["auditID"] for p in range(4)]
    assert ids == ["a4", "a3", "a2", "a1"]  # newest first
    rollback = event_changes(store, 0)
    assert rollback is not None and rollback.fmt == "k8s" and rollback.against == 1
    assert rollback.changes == [
        Change("spec.template.spec.containers.0.image", CHANGED, "web:1.1", "web:1.0")
    ]
    update = event_changes(store, 1)
    assert update is not None and update.against == 2  # the get carries the object too
    assert Change("spec.replicas", CHANGED, 2, 3) in update.changes
    assert event_changes(store, 2) is None  # a get changes nothing
    assert event_changes(store, 3) is None  # a create has no earlier state


def test_previous_change_walks_a_resources_history_back(open_store: Any) -> None:
    store = open_store(_deployments(), "audit.log")
    # the rollback (patch) -> the update -> the create (the get is skipped: it changes nothing)
    assert previous_change(store, 0) == 1
    assert previous_change(store, 1) == 3
    assert previous_change(store, 3) is None


def test_previous_change_of_a_native_resource(open_store: Any, make_event: Any) -> None:
    res = {"type": "agent", "id": "agt_1", "name": "bot"}
    other = {"type": "agent", "id": "agt_10", "name": "bot 10"}  # contains "agt_1": not the same
    events = [
        make_event("e1", "2026-11-19T09:00:00Z", "Agent Created", resource=res),
        make_event("e2", "2026-11-19T10:00:00Z", "Agent Invoked", resource=res),
        make_event("e3", "2026-11-19T10:30:00Z", "Agent Updated", resource=other),
        make_event("e4", "2026-11-19T11:00:00Z", "Agent Deployed", resource=res),
        make_event("e5", "2026-11-19T12:00:00Z", "Agent Rolled Back", resource=res),
    ]
    store = open_store(events)
    pos = {store.record(p)["id"]: p for p in range(5)}
    assert previous_change(store, pos["e5"]) == pos["e4"]
    assert previous_change(store, pos["e4"]) == pos["e1"]
    assert previous_change(store, pos["e1"]) is None


# -- query --format diff ---------------------------------------------------------------------


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "audit_tui", *args], capture_output=True, input=stdin, timeout=120
    )


def test_query_format_diff_prints_one_block_per_changed_event(
    tmp_path: Path, make_event: Any
) -> None:
    events = [
        make_event("e1", "2026-11-19T09:00:00Z", "Agent Invoked"),
        make_event(
            "e2",
            "2026-11-19T10:00:00Z",
            "Agent Configuration Changed",
            metadata={
                "changes": {"before": {"model": "a\x1b]52;c;aGk=\x07"}, "after": {"model": "b"}}
            },
        ),
        make_event(
            "e3",
            "2026-11-19T11:00:00Z",
            "Agent Updated",
            metadata={"changes": {"before": {"rev": 1}, "after": {"rev": 2, "tools": ["x"]}}},
        ),
    ]
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    done = _cli("query", str(path), "--format", "diff")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    blocks = text.split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith("2026-11-19T11:00:00.000Z  Agent Updated") and "e3" in blocks[0]
    assert "  ~ rev: 1 → 2\n" in blocks[0] and '  + tools: ["x"]' in blocks[0]
    assert '  ~ model: "a\\u001b]52;c;aGk=\\u0007" → "b"' in blocks[1]
    assert "\x1b" not in text
    one = _cli("query", str(path), "--format", "diff", "--limit", "1")
    assert one.stdout.decode().count("Agent ") == 1 and "e3" in one.stdout.decode()


def test_query_format_diff_on_a_kubernetes_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in _deployments()))
    done = _cli("query", str(path), "--format", "diff")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert text.count("\n\n") == 1  # two blocks: the patch and the update
    assert '~ spec.template.spec.containers.0.image: "web:1.1" → "web:1.0"' in text
    assert "~ spec.replicas: 2 → 3" in text
