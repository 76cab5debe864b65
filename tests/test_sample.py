"""Tests for the bundled "Control Room" sample audit log (``audit_tui.sources.sample``)."""

from __future__ import annotations

import hashlib
import importlib
import json
import lzma
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from audit_tui.sources.sample import SAMPLE_PATH, sample_bytes

ROOT = Path(__file__).resolve().parent.parent
# A Thursday afternoon: the sample's rhythms are generated against this time of week.
NOW = datetime(2026, 11, 19, 15, 42, tzinfo=UTC)

NATIVE_FIELDS = {
    "id",
    "audited_at",
    "event_type",
    "resource",
    "organization",
    "workspace",
    "actor",
    "metadata",
}
REQUIRED_TYPES = {
    "Agent Created",
    "Agent Updated",
    "Agent Deployed",
    "Agent Deleted",
    "Agent Configuration Changed",
    "Agent Invoked",
    "Agent Started",
    "Agent Stopped",
    "Agent Rolled Back",
    "Deployment Failed",
    "Workspace Created",
    "Workspace API Key Created",
    "Workspace API Key Revoked",
    "Workspace API Key Used",
    "Integration Connected",
    "Integration Removed",
    "Integration Sync Failed",
    "Secret Created",
    "Secret Rotated",
    "Secret Accessed",
    "User Invited",
    "User Login",
    "User Login Failed",
    "Role Changed",
    "MFA Enabled",
    "System Error",
    "Performance Anomaly",
    "Rate Limit Exceeded",
    "Audit Log Exported",
    "Organization Settings Updated",
}
ORG_LEVEL_TYPES = {
    "User Invited",
    "User Joined",
    "User Login",
    "User Logout",
    "User Login Failed",
    "User Removed",
    "Role Changed",
    "MFA Enabled",
    "Password Reset",
    "Organization Settings Updated",
    "SSO Configuration Updated",
    "Audit Log Exported",
    "Policy Updated",
}
ID_RE = re.compile(r"^evt_[0-9A-HJKMNP-TV-Z]{26}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
EMAIL_RE = re.compile(r"^[a-z]+\.[a-z]+@[a-z]+\.[a-z]+$")


def when(event: dict[str, Any]) -> datetime:
    return datetime.strptime(event["audited_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def raw() -> bytes:
    return sample_bytes(NOW)


@pytest.fixture(scope="module")
def events(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in raw.splitlines()]


# ---- the file ---------------------------------------------------------------------------------


def test_file_is_bundled_and_small() -> None:
    assert SAMPLE_PATH.name == "sample.jsonl.xz"
    assert SAMPLE_PATH.is_file()
    assert SAMPLE_PATH.stat().st_size <= 2_000_000


def test_stored_times_are_relative_offsets() -> None:
    stored = lzma.decompress(SAMPLE_PATH.read_bytes()).splitlines()
    offsets = [json.loads(line)["audited_at"] for line in stored]
    assert all(isinstance(o, int) and o < 0 for o in offsets)
    assert offsets == sorted(offsets)
    assert -15 * 60_000 < offsets[-1] < 0  # the newest is a few minutes before opening


@pytest.fixture(scope="module")
def samplegen() -> Iterator[ModuleType]:
    """The generator package ``scripts/samplegen`` (a development tool, not installed)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT / "scripts"))
        for name in [m for m in sys.modules if m == "samplegen" or m.startswith("samplegen.")]:
            mp.delitem(sys.modules, name)
        yield importlib.import_module("samplegen")


def test_generator_reproduces_the_bundled_file(samplegen: ModuleType) -> None:
    regenerated = samplegen.dumps(samplegen.generate())
    assert regenerated == lzma.decompress(SAMPLE_PATH.read_bytes()), (
        "sample.jsonl.xz is stale: run scripts/gen_sample.py"
    )


def test_generator_output_for_another_seed_is_unchanged(samplegen: ModuleType) -> None:
    # Pins the whole simulation, not only the bundled world (recorded before the generator
    # was split into a package).
    raw = samplegen.dumps(samplegen.generate(7))
    assert (raw.count(b"\n"), hashlib.sha256(raw).hexdigest()) == (
        14_102,
        "b5cd791ad15739dc84e5c4c33a80838a9929bba90978192bc8058f79d8b73b80",
    )


def test_loader_does_not_import_textual() -> None:
    code = "import sys, audit_tui.sources.sample; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---- the JSONL --------------------------------------------------------------------------------


def test_bytes_are_newline_terminated_jsonl(raw: bytes) -> None:
    assert raw.endswith(b"\n") and not raw.endswith(b"\n\n")
    raw.decode("utf-8")
    lines = raw.split(b"\n")[:-1]
    assert 10_000 <= len(lines) <= 20_000
    for line in lines:
        assert line.startswith(b"{") and b"\n" not in line
        assert isinstance(json.loads(line), dict)


def test_native_shape(events: list[dict[str, Any]]) -> None:
    for e in events:
        assert set(e) == NATIVE_FIELDS
        assert ID_RE.match(e["id"]), e["id"]
        assert TIME_RE.match(e["audited_at"]), e["audited_at"]
        assert isinstance(e["event_type"], str) and e["event_type"]
        assert set(e["resource"]) == {"type", "id", "name"}
        assert set(e["organization"]) == {"id", "name"}
        assert e["workspace"] is None or set(e["workspace"]) == {"id", "name"}
        actor = e["actor"]
        assert set(actor) == {"type", "id", "name", "email"}
        assert actor["type"] in {"user", "system", "api_key"}
        if actor["type"] == "user":
            assert EMAIL_RE.match(actor["email"]), actor["email"]
        else:
            assert actor["email"] is None
        meta = e["metadata"]
        assert isinstance(meta, dict)
        assert {"ip", "user_agent", "request_id"} <= set(meta)
        assert meta["request_id"].startswith("req_")
    assert len({e["id"] for e in events}) == len(events)


def test_ids_sort_like_times(events: list[dict[str, Any]]) -> None:
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)


def test_changes_have_before_and_after(events: list[dict[str, Any]]) -> None:
    kinds = {"Agent Configuration Changed", "Agent Updated", "Role Changed"}
    kinds |= {"Organization Settings Updated", "Workspace Updated", "Policy Updated"}
    for e in events:
        if e["event_type"] in kinds:
            changes = e["metadata"]["changes"]
            assert set(changes) == {"before", "after"}
            assert changes["before"] != changes["after"]
            assert set(changes["before"]) == set(changes["after"])


def test_kind_specific_metadata(events: list[dict[str, Any]]) -> None:
    required = {
        "Agent Invoked": {"model", "input_tokens", "output_tokens", "duration_ms", "status"},
        "Agent Deployed": {"version", "previous_version", "environment", "commit"},
        "System Error": {"error_code", "message", "duration_ms"},
        "Performance Anomaly": {"metric", "observed", "baseline"},
        "Deployment Failed": {"version", "error_code", "message"},
        "Agent Rolled Back": {"from_version", "to_version"},
    }
    for e in events:
        keys = required.get(e["event_type"])
        if keys:
            assert keys <= set(e["metadata"]), e


# ---- times ------------------------------------------------------------------------------------


def test_times_fit_the_window(events: list[dict[str, Any]]) -> None:
    times = [when(e) for e in events]
    assert times == sorted(times)  # oldest first
    assert NOW - timedelta(days=120) <= times[0] < NOW - timedelta(days=110)
    assert NOW - timedelta(hours=1) <= times[-1] < NOW
    assert sum(t >= NOW - timedelta(days=7) for t in times) > 300


def test_times_follow_now() -> None:
    later = NOW + timedelta(days=10, hours=5, milliseconds=7)
    a = [json.loads(line) for line in sample_bytes(NOW).splitlines()[:50]]
    b = [json.loads(line) for line in sample_bytes(later).splitlines()[:50]]
    for x, y in zip(a, b, strict=True):
        assert x["id"] == y["id"]
        assert when(y) - when(x) == later - NOW


def test_naive_and_other_zones_are_handled() -> None:
    naive = NOW.replace(tzinfo=None)
    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))
    first = sample_bytes(NOW).split(b"\n", 1)[0]
    assert sample_bytes(naive).split(b"\n", 1)[0] == first
    assert sample_bytes(tokyo).split(b"\n", 1)[0] == first


def test_default_now_is_the_current_time() -> None:
    last = json.loads(sample_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1])
    age = datetime.now(UTC) - when(last)
    assert timedelta(0) < age < timedelta(hours=1)


def test_daily_and_weekly_rhythm(events: list[dict[str, Any]]) -> None:
    # Weekends are quieter, and there is slight growth over time.
    per_weekday = Counter(when(e).weekday() for e in events)
    weekday_avg = sum(per_weekday[d] for d in range(5)) / 5
    weekend_avg = (per_weekday[5] + per_weekday[6]) / 2
    assert weekend_avg < 0.6 * weekday_avg
    # Working hours (in the organization's zone) are busier than the night.
    acme = [
        when(e) - timedelta(hours=5) for e in events if e["organization"]["name"] == "Acme Corp"
    ]
    by_hour = Counter(t.hour for t in acme if t.weekday() < 5)
    assert min(by_hour[h] for h in range(10, 16)) > 2 * max(by_hour[h] for h in range(1, 5))
    first = sum(NOW - timedelta(days=110) <= when(e) < NOW - timedelta(days=80) for e in events)
    last = sum(NOW - timedelta(days=60) <= when(e) < NOW - timedelta(days=30) for e in events)
    assert last > first


# ---- the world --------------------------------------------------------------------------------


def test_event_types(events: list[dict[str, Any]]) -> None:
    types = Counter(e["event_type"] for e in events)
    assert 35 <= len(types) <= 45
    assert REQUIRED_TYPES <= set(types), REQUIRED_TYPES - set(types)
    common = [name for name, _ in types.most_common(3)]
    assert "Agent Invoked" in common and "User Login" in common
    assert types["Agent Invoked"] > 100 * types["Agent Deleted"] > 0


def test_organizations_workspaces_and_people(events: list[dict[str, Any]]) -> None:
    orgs = {e["organization"]["id"]: e["organization"]["name"] for e in events}
    assert sorted(orgs.values()) == ["Acme Corp", "Globex", "Initech"]
    workspaces = {e["workspace"]["id"]: e for e in events if e["workspace"]}
    assert 10 <= len(workspaces) <= 14
    names = {e["workspace"]["name"] for e in workspaces.values()}
    assert {"Finance Ops", "Customer Support", "Production", "Staging"} <= names
    by_type: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for e in events:
        by_type[e["actor"]["type"]][e["actor"]["id"]] = e["actor"]
    users = by_type["user"]
    assert 50 <= len(users) <= 70
    assert len({u["email"] for u in users.values()}) == len(users)
    domains = {u["email"].split("@")[1] for u in users.values()}
    assert len(domains) == 3
    systems = {a["name"] for a in by_type["system"].values()}
    assert {"scheduler", "health-monitor", "deploy-bot"} <= systems
    keys = {a["name"] for a in by_type["api_key"].values()}
    assert {"CI deploy key", "terraform"} <= keys and len(by_type["api_key"]) >= 10


def test_workspace_is_null_exactly_for_org_level_events(events: list[dict[str, Any]]) -> None:
    for e in events:
        if e["event_type"] in ORG_LEVEL_TYPES:
            assert e["workspace"] is None, e
        else:
            assert e["workspace"] is not None, e


def test_lifecycles_are_consistent(events: list[dict[str, Any]]) -> None:
    deleted: set[str] = set()
    revoked: set[str] = set()
    removed: set[str] = set()
    version: dict[str, str] = {}
    for e in events:
        kind, rid, actor = e["event_type"], e["resource"]["id"], e["actor"]["id"]
        meta = e["metadata"]
        assert rid not in deleted and actor not in revoked, e
        if actor in removed:
            assert kind == "User Login Failed", e
        if kind == "Agent Deleted":
            deleted.add(rid)
        elif kind == "Workspace API Key Revoked":
            revoked.add(rid)
        elif kind == "User Removed":
            removed.add(rid)
        elif kind == "Agent Deployed":
            if rid in version:
                assert meta["previous_version"] == version[rid], e
            version[rid] = meta["version"]
        elif kind == "Agent Rolled Back":
            assert meta["from_version"] == version[rid], e
            version[rid] = meta["to_version"]


# ---- stories ----------------------------------------------------------------------------------


def test_story_leaked_api_key(events: list[dict[str, Any]]) -> None:
    revokes = [
        e
        for e in events
        if e["event_type"] == "Workspace API Key Revoked"
        and e["metadata"]["reason"] == "key leaked in public repository"
    ]
    assert len(revokes) == 1
    revoke = revokes[0]
    key = revoke["resource"]["id"]
    assert when(revoke) >= NOW - timedelta(days=7)
    story = [e for e in events if key in (e["resource"]["id"], e["actor"]["id"])]
    created = story[0]
    assert created["event_type"] == "Workspace API Key Created"
    assert created["actor"]["type"] == "user"
    assert revoke["actor"]["type"] == "user" and revoke["actor"]["id"] != created["actor"]["id"]
    assert story[-1] is revoke
    used = [e for e in story if e["event_type"] == "Workspace API Key Used"]
    usual_ips = {e["metadata"]["ip"] for e in used[:3]}
    burst = [e for e in used if e["metadata"]["ip"] not in usual_ips]
    assert len(burst) >= 30
    assert when(burst[-1]) - when(burst[0]) < timedelta(hours=1)
    assert {e["metadata"]["geo"]["country"] for e in burst}.isdisjoint(
        {e["metadata"]["geo"]["country"] for e in used[:3]}
    )
    limited = [e for e in story if e["event_type"] == "Rate Limit Exceeded"]
    assert limited
    assert when(created) < when(used[0]) < when(burst[0]) < when(limited[0])
    assert when(limited[-1]) < when(revoke)
    assert timedelta(0) < when(revoke) - when(burst[0]) < timedelta(hours=2)
    assert when(burst[0]) - when(created) < timedelta(days=5)


def test_story_failed_deployment_rolled_back(events: list[dict[str, Any]]) -> None:
    recent = [e for e in events if when(e) >= NOW - timedelta(days=30)]
    found = False
    for rb in (e for e in recent if e["event_type"] == "Agent Rolled Back"):
        agent = rb["resource"]["id"]
        window = [
            e
            for e in recent
            if e["resource"]["id"] == agent
            and timedelta(0) < when(rb) - when(e) < timedelta(hours=2)
        ]
        deploys = [e for e in window if e["event_type"] == "Agent Deployed"]
        failed = [e for e in window if e["event_type"] == "Deployment Failed"]
        errors = [e for e in window if e["event_type"] == "System Error"]
        if deploys and failed and len(errors) >= 5:
            deploy = deploys[-1]
            assert deploy["metadata"]["version"] == rb["metadata"]["from_version"]
            assert failed[0]["metadata"]["version"] == rb["metadata"]["from_version"]
            assert deploy["metadata"]["previous_version"] == rb["metadata"]["to_version"]
            assert when(deploy) < when(failed[0]) < when(rb)
            found = True
    assert found


def test_story_incident_burst(events: list[dict[str, Any]]) -> None:
    kinds = {"System Error", "Performance Anomaly"}
    alerts = [
        when(e)
        for e in events
        if e["event_type"] in kinds
        and e["actor"]["type"] == "system"
        and when(e) >= NOW - timedelta(days=30)
    ]
    best, lo = 0, 0
    for hi, t in enumerate(alerts):
        while t - alerts[lo] > timedelta(hours=1):
            lo += 1
        best = max(best, hi - lo + 1)
    assert best >= 25


def test_story_brute_force_login(events: list[dict[str, Any]]) -> None:
    failures: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for e in events:
        if e["event_type"] == "User Login Failed":
            failures[(e["actor"]["id"], e["metadata"]["ip"])].append(when(e))
    assert any(len(ts) >= 10 and ts[-1] - ts[0] < timedelta(minutes=20) for ts in failures.values())
