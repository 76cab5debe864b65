"""Foreign formats vs the native format: load time per event at 100k events.

Generates realistic Kubernetes audit and CloudTrail JSON lines (sizes like real logs: k8s at
Metadata and Request level, CloudTrail management events with request parameters), and compares
loading them (``open_source(path)`` + ``store.wait()``) with the team's native generator output.
The target: a foreign format within 2x the native time per event.

    .venv/bin/python bench/bench_formats.py [--count 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import DATA_DIR, add_data_options, data_file  # noqa: E402

from audit_tui.sources import file as source_file  # noqa: E402
from audit_tui.sources.blocks import BlockIndexer  # noqa: E402
from audit_tui.sources.file import open_source  # noqa: E402
from audit_tui.sources.formats import detect, normalise  # noqa: E402

START = datetime(2026, 10, 1, tzinfo=UTC)

# -- generators ------------------------------------------------------------------------------

USERS = [f"{n}@example.com" for n in ("alice", "bob", "carol", "dave", "erin", "frank", "grace")]
NAMESPACES = ["default", "kube-system", "payments", "checkout", "search", "monitoring", "ci"]
RESOURCES = [
    ("pods", "", "v1"),
    ("deployments", "apps", "v1"),
    ("configmaps", "", "v1"),
    ("secrets", "", "v1"),
    ("services", "", "v1"),
    ("leases", "coordination.k8s.io", "v1"),
    ("events", "", "v1"),
    ("roles", "rbac.authorization.k8s.io", "v1"),
]
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
SYSTEM_USERS = [
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:serviceaccount:kube-system:replicaset-controller",
    "system:node:ip-10-0-1-23.ec2.internal",
    "system:apiserver",
]
AGENTS = [
    "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350",
    "kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/3968350/leader-election",
    "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
]


def _ts(rng: random.Random, i: int) -> tuple[str, str]:
    t = START + timedelta(milliseconds=i * 250 + rng.randrange(250))
    end = t + timedelta(microseconds=rng.randrange(200, 90_000))
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), end.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def k8s_event(rng: random.Random, i: int) -> dict[str, Any]:
    resource, group, version = rng.choice(RESOURCES)
    verb = rng.choice(VERBS)
    ns = rng.choice(NAMESPACES)
    name = f"{resource[:-1]}-{rng.randrange(10_000):04x}{rng.randrange(1 << 20):05x}"
    human = rng.random() < 0.3
    user = rng.choice(USERS) if human else rng.choice(SYSTEM_USERS)
    received, stage = _ts(rng, i)
    level = (
        "Request" if verb in ("create", "update", "patch") and rng.random() < 0.5 else "Metadata"
    )
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    uri = f"{prefix}/namespaces/{ns}/{resource}" + ("" if verb in ("list", "watch") else f"/{name}")
    obj: dict[str, Any] = {"resource": resource, "namespace": ns, "apiVersion": version}
    if group:
        obj["apiGroup"] = group
    if verb not in ("list", "watch"):
        obj["name"] = name
    ev: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": level,
        "auditID": f"{rng.getrandbits(128):032x}",
        "stage": "ResponseComplete",
        "requestURI": uri,
        "verb": verb,
        "user": {
            "username": user,
            "uid": f"{rng.getrandbits(64):016x}",
            "groups": ["system:authenticated"] + (["oidc:platform-team"] if human else []),
        },
        "sourceIPs": [f"10.0.{rng.randrange(256)}.{rng.randrange(256)}"],
        "userAgent": rng.choice(AGENTS),
        "objectRef": obj,
        "responseStatus": {"metadata": {}, "code": rng.choice([200, 200, 200, 201, 403, 404])},
        "requestReceivedTimestamp": received,
        "stageTimestamp": stage,
        "annotations": {
            "authorization.k8s.io/decision": "allow",
            "authorization.k8s.io/reason": f'RBAC: allowed by ClusterRoleBinding "{ns}-edit" of '
            f'ClusterRole "edit" to Group "oidc:platform-team"',
        },
    }
    if rng.random() < 0.05:
        ev["impersonatedUser"] = {"username": rng.choice(USERS), "groups": ["system:authenticated"]}
    if level == "Request":
        ev["requestObject"] = {
            "kind": resource[:-1].capitalize(),
            "apiVersion": f"{group}/{version}" if group else version,
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": {"app": name.split("-")[0], "team": "platform", "tier": "backend"},
            },
            "spec": {"replicas": rng.randrange(1, 6), "selector": {"matchLabels": {"app": name}}},
        }
    return ev


EVENTS = [
    ("s3.amazonaws.com", "GetObject", "bucketName"),
    ("s3.amazonaws.com", "PutObject", "bucketName"),
    ("ec2.amazonaws.com", "DescribeInstances", None),
    ("ec2.amazonaws.com", "RunInstances", None),
    ("iam.amazonaws.com", "CreateAccessKey", "userName"),
    ("sts.amazonaws.com", "AssumeRole", "roleArn"),
    ("kms.amazonaws.com", "Decrypt", "keyId"),
    ("lambda.amazonaws.com", "Invoke", "functionName"),
    ("signin.amazonaws.com", "ConsoleLogin", None),
]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
ACCOUNTS = ["111122223333", "444455556666", "777788889999"]


def cloudtrail_event(rng: random.Random, i: int) -> dict[str, Any]:
    source, name, param = rng.choice(EVENTS)
    account = rng.choice(ACCOUNTS)
    region = rng.choice(REGIONS)
    when, _ = _ts(rng, i)
    role = rng.random() < 0.7
    user = rng.choice(USERS)
    if role:
        identity: dict[str, Any] = {
            "type": "AssumedRole",
            "principalId": f"AROA{rng.getrandbits(60):015X}:{user}",
            "arn": f"arn:aws:sts::{account}:assumed-role/AWSReservedSSO_Admin_{account}/{user}",
            "accountId": account,
            "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": f"AROA{rng.getrandbits(60):015X}",
                    "arn": f"arn:aws:iam::{account}:role/aws-reserved/AWSReservedSSO_Admin",
                    "accountId": account,
                    "userName": "AWSReservedSSO_Admin",
                },
                "attributes": {"creationDate": when[:19] + "Z", "mfaAuthenticated": "false"},
            },
        }
    else:
        name_ = user.split("@")[0]
        identity = {
            "type": "IAMUser",
            "principalId": f"AIDA{rng.getrandbits(60):015X}",
            "arn": f"arn:aws:iam::{account}:user/{name_}",
            "accountId": account,
            "accessKeyId": f"AKIA{rng.getrandbits(64):016X}",
            "userName": name_,
        }
    params: dict[str, Any] | None
    if param == "bucketName":
        params = {
            "bucketName": f"data-{rng.randrange(40)}",
            "key": f"exports/{i}.parquet",
            "Host": f"data-{rng.randrange(40)}.s3.{region}.amazonaws.com",
        }
    elif param == "roleArn":
        params = {
            "roleArn": f"arn:aws:iam::{account}:role/deploy",
            "roleSessionName": user,
            "durationSeconds": 3600,
        }
    elif param is not None:
        params = {param: f"{param[:-4].lower() or 'x'}-{rng.randrange(1000)}"}
    elif name == "DescribeInstances":
        params = {
            "instancesSet": {"items": [{"instanceId": f"i-{rng.getrandbits(64):017x}"}]},
            "filterSet": {},
        }
    else:
        params = None
    ev: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when[:19] + "Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"203.0.113.{rng.randrange(256)}",
        "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
        "requestParameters": params,
        "responseElements": None,
        "requestID": f"{rng.getrandbits(128):032x}",
        "eventID": f"{rng.getrandbits(128):032x}",
        "readOnly": name.startswith(("Get", "Describe", "List")),
        "eventType": "AwsApiCall",
        "managementEvent": source != "s3.amazonaws.com",
        "recipientAccountId": account,
        "eventCategory": "Management" if source != "s3.amazonaws.com" else "Data",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
        },
    }
    if rng.random() < 0.05:
        ev["errorCode"] = "AccessDenied"
        ev["errorMessage"] = "User is not authorized to perform this operation"
    return ev


def escaped_native(src: Path, dst: Path) -> Path:
    """The native events with one JSON-escaped string each (as every RBAC-allowed Kubernetes
    event has in its annotations): the text index's cost of escapes, without any format."""
    if dst.exists():
        return dst
    tmp = dst.with_suffix(".tmp")
    with open(src, "rb") as f, open(tmp, "wb") as out:
        for line in f:
            ev = orjson.loads(line)
            ev["metadata"]["reason"] = 'RBAC: allowed by ClusterRoleBinding "edit" to Group "dev"'
            out.write(orjson.dumps(ev) + b"\n")
    tmp.rename(dst)
    return dst


def write(path: Path, make: Any, count: int) -> Path:
    if path.exists():
        return path
    rng = random.Random(42)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        for i in range(count):
            f.write(orjson.dumps(make(rng, i)))
            f.write(b"\n")
    tmp.rename(path)
    return path


# -- measuring -------------------------------------------------------------------------------


def load(path: Path, repeat: int) -> tuple[float, float, int, int, str]:
    """Best wall time and best CPU time of this process (the loader thread included; not the
    worker processes of the parallel loader) of open_source + wait."""
    best = cpu = float("inf")
    total = skipped = 0
    name = ""
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        store = open_source(str(path))
        store.wait()
        best = min(best, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
        total, skipped, name = store.total, store.skipped_count, store.format_name
        store.close()
    return best, cpu, total, skipped, name


def index_cost(path: Path, repeat: int) -> float:
    """CPU time of indexing alone (BlockIndexer over 1 MB blocks: parse, map, keys, texts), in
    microseconds per event: the part a format changes, without the store or the file system."""
    blocks = []
    with open(path, "rb") as f:
        while True:
            data = f.read(1 << 20)
            if not data:
                break
            blocks.append(data + f.readline())
    best = float("inf")
    events = 0
    for _ in range(repeat):
        indexer = BlockIndexer()
        t = time.process_time()
        events = sum(indexer.index_block(b, 0)[0].count for b in blocks)
        best = min(best, time.process_time() - t)
    return best / max(events, 1) * 1e6


def normalise_cost(path: Path, n: int = 20_000) -> float:
    with open(path, "rb") as f:
        records = [orjson.loads(next(f)) for _ in range(n)]
    t = time.perf_counter()
    for rec in records:
        normalise(rec)
    return (time.perf_counter() - t) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    add_data_options(ap)
    args = ap.parse_args()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    native = data_file(args, args.count)
    files = {
        "native": native,
        "native+esc": escaped_native(native, DATA_DIR / f"events-{args.count}-escaped.jsonl"),
        "k8s": write(DATA_DIR / f"k8s-{args.count}.jsonl", k8s_event, args.count),
        "cloudtrail": write(
            DATA_DIR / f"cloudtrail-{args.count}.jsonl", cloudtrail_event, args.count
        ),
    }
    for kind, path in files.items():
        with open(path, "rb") as f:
            first = orjson.loads(f.readline())
        size = path.stat().st_size
        print(
            f"{kind:10s} {path}  {size / 1e6:.1f} MB, {size / args.count:.0f} B/event, "
            f"detected: {detect(first)}"
        )
    modes = [("default (as the CLI opens it)", None), ("single process", 1 << 62)]
    for label, threshold in modes:
        saved = source_file.PARALLEL_MIN_BYTES
        if threshold is not None:
            source_file.PARALLEL_MIN_BYTES = threshold
        try:
            print(f"\n{label}:")
            base = base_cpu = None
            for kind, path in files.items():
                secs, cpu, total, skipped, name = load(path, args.repeat)
                us = secs / max(total, 1) * 1e6
                cpu_us = cpu / max(total, 1) * 1e6
                base = base or us
                base_cpu = base_cpu or cpu_us
                extra = (
                    "" if threshold is None else f"  cpu {cpu_us:6.2f} us x{cpu_us / base_cpu:.2f}"
                )
                print(
                    f"  {kind:10s} {total:7d} events ({skipped} skipped)  {secs:6.2f} s  "
                    f"{total / secs:9,.0f} events/s  {us:6.2f} us/event  "
                    f"x{us / base:.2f} native{extra}   [{name}]"
                )
        finally:
            source_file.PARALLEL_MIN_BYTES = saved
    print("\nindexing alone (CPU time, BlockIndexer.index_block):")
    costs = {kind: index_cost(path, args.repeat) for kind, path in files.items()}
    for kind, us in costs.items():
        print(f"  {kind:10s} {us:6.2f} us/event  x{us / costs['native']:.2f} native")
    print(
        f"  (k8s lines carry JSON escapes, as the API server writes its RBAC reasons: against "
        f"native lines with one escape, k8s is x{costs['k8s'] / costs['native+esc']:.2f})"
    )
    print("\nnormalise() alone (20k parsed records):")
    for kind in ("k8s", "cloudtrail"):
        print(f"  {kind:10s} {normalise_cost(files[kind]):.2f} us/record")


if __name__ == "__main__":
    main()
