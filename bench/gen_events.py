#!/usr/bin/env python3
"""The benchmarks' generator of realistic audit-log events (deterministic, no network).

Each event, in the native shape (about 760 bytes of JSON on average, a minority 1-2 KB):

    id (UUID), audited_at (ISO-8601 UTC, ms), event_type (45 kinds),
    resource {type,id,name}, organization {id,name}, workspace {id,name} | null (org-level),
    actor {type,id,name,email|null}, metadata {ip, user_agent, request_id, source, ...}

over a 400-day window ending on ``--end``: 5 organizations, 40 workspaces, 300 actors with
Zipf-like activity (a few power users make most events), thousands of agents, keys,
integrations and secrets; weekly and daily rhythms, growth, and a few busy days.

It is the team's shared generator (``../shared/bench/gen_events.py``) brought into the
repository, so ``make bench`` needs nothing outside it: the same ``--count``/``--seed``/``--end``
give byte-identical output to that one, so figures stay comparable with earlier runs.

    python bench/gen_events.py --count 1000000 --seed 42 --out bench/out/events-1000000-42.jsonl
    python bench/gen_events.py --count 1000 --format csv --out sample.csv
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import io
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO

import orjson

# fmt: off
FIRST = ("Alice Aaron Abigail Adam Aisha Alejandro Amelia Andre Anna Arjun Ben Bianca Carlos Chen "
         "Chloe Daniel Deepa Diego Elena Emma Ethan Fatima Felix Grace Hannah Hiro Ian Isabel Jack "
         "James Jia Jonas Julia Kai Kenji Laura Leila Liam Lucas Maria Mateo Maya Mei Mohammed "
         "Nadia Noah Nora Olga Omar Priya Rafael Ravi Rosa Sara Sofia Tariq Tom Uma Victor Wei "
         "Yara Zoe").split()
LAST = ("Anderson Bauer Becker Brown Chen Cohen Costa Davis Dubois Evans Fischer Garcia Gonzalez "
        "Gupta Hansen Hernandez Ito Jensen Johnson Kaur Kim Kowalski Kumar Lee Lopez Martin "
        "Martinez Meyer Miller Moreau Muller Nakamura Nguyen Novak Okafor Olsen Patel Petrov Rossi "
        "Santos Schmidt Silva Singh Smith Suzuki Tanaka Taylor Thomas Walker Wang Weber Williams "
        "Wilson Wong Yamamoto Young Zhang").split()

ORGS = [("Acme Corp", "acme.com"), ("Globex Industries", "globex.io"),
        ("Initech", "initech.net"), ("Umbrella Health", "umbrella-health.org"),
        ("Stark Logistics", "starklogistics.com")]
ORG_WEIGHTS = [0.35, 0.25, 0.18, 0.14, 0.08]
WORKSPACES_PER_ORG = [12, 10, 8, 6, 4]
WS_NAMES = ["Production", "Staging", "Development", "Data Science", "Customer Support",
            "Sales Ops", "Marketing", "Finance", "Security", "Platform", "Research",
            "Internal Tools", "EU Production", "US Production", "Sandbox", "QA"]

AGENT_A = ("invoice support triage lead onboarding churn fraud billing sales routing summary "
           "translation compliance knowledge contract hr recruiting incident ticket research "
           "pricing forecast inventory refund").split()
AGENT_B = "bot agent assistant copilot worker classifier responder analyst".split()
AGENT_SUFFIXES = ["eu", "us", "v2", "beta", "prod", "test", "alice", "legacy"]
INTEGRATIONS = ["Slack", "GitHub", "Salesforce", "Zendesk", "Jira", "Snowflake", "Amazon S3",
                "PagerDuty", "Google Drive", "HubSpot", "Confluence", "Notion", "Stripe",
                "BigQuery", "Microsoft Teams", "ServiceNow", "Intercom", "Datadog"]
SECRETS = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DB_PASSWORD", "STRIPE_SECRET_KEY",
           "SLACK_BOT_TOKEN", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "SENDGRID_API_KEY",
           "SALESFORCE_CLIENT_SECRET", "WEBHOOK_SIGNING_SECRET", "JWT_SIGNING_KEY",
           "REDIS_URL", "SNOWFLAKE_PASSWORD", "ZENDESK_TOKEN"]
KEY_NAMES = ["CI deploy key", "prod ingest", "terraform", "analytics export", "mobile backend",
             "partner webhook", "staging smoke tests", "data pipeline", "zapier", "legacy cron"]
SYSTEM_NAMES = ["system", "scheduler", "health-monitor", "autoscaler", "sync-engine",
                "key-rotation", "billing-service", "audit-service"]
SERVICE_ACCOUNTS = ["svc-ci", "svc-terraform", "svc-data-pipeline", "svc-support-bot",
                    "svc-backup", "svc-monitoring"]
GEO = [("US", "Seattle"), ("US", "Austin"), ("US", "New York"), ("DE", "Berlin"),
       ("GB", "London"), ("IN", "Bengaluru"), ("JP", "Tokyo"), ("BR", "Sao Paulo"),
       ("FR", "Paris"), ("CA", "Toronto")]
ROLES = ["viewer", "member", "developer", "admin", "owner", "billing_admin", "auditor"]
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-haiku", "llama-3.1-70b",
          "mistral-large", "gemini-1.5-pro"]
TOOLS = ["web_search", "sql_query", "send_email", "create_ticket", "read_file", "http_request",
         "slack_post", "calendar", "crm_lookup", "vector_search", "code_interpreter"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"]
USER_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.67",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    # the first six are browsers (people), the rest tools (keys and service accounts)
    "agentctl/2.14.1 (linux; amd64) go1.22.4",
    "agentctl/2.13.0 (darwin; arm64) go1.22.1",
    "python-requests/2.32.3",
    "Terraform/1.8.5 terraform-provider-agents/0.9.2",
    "axios/1.7.2",
    "PostmanRuntime/7.39.0",
]
ERRORS = [
    ("E_UPSTREAM_TIMEOUT", "upstream model provider timed out after 30000ms", "gateway"),
    ("E_RATE_LIMITED", "provider returned 429 Too Many Requests", "gateway"),
    ("E_TOOL_FAILURE", "tool call 'http_request' failed: connection reset by peer", "runtime"),
    ("E_CONTEXT_OVERFLOW", "prompt exceeds model context window (131072 tokens)", "runtime"),
    ("E_DB_DEADLOCK", "deadlock detected while updating agent_versions", "control-plane"),
    ("E_OOM", "worker process exceeded memory limit of 2048 MiB and was killed", "scheduler"),
    ("E_INVALID_CONFIG",
     "agent configuration failed schema validation: tools[2].name is required", "control-plane"),
    ("E_AUTH_EXPIRED", "OAuth token for integration expired and refresh failed", "integrations"),
]
FRAMES = ["runtime/executor.py", "runtime/tools.py", "gateway/client.py", "gateway/retry.py",
          "control_plane/agents.py", "control_plane/db.py", "integrations/oauth.py",
          "scheduler/worker.py"]
PROMPTS = [
    "You are a helpful support assistant. Answer using the knowledge base and escalate billing "
    "questions.",
    "Classify each incoming ticket into one of: billing, bug, feature_request, account. Reply "
    "with JSON only.",
    "Summarize the conversation in three bullet points and list any follow-up actions with "
    "owners.",
    "You triage invoices. Extract vendor, amount, currency and due date; flag anything over "
    "10,000 USD.",
    "Translate the customer's message into English, preserving product names and order numbers "
    "verbatim.",
]
COMMENTS = ["tighten tool permissions after review", "bump model for better accuracy",
            "per ticket OPS-%d", "rollback of previous change", "reduce cost: lower max_tokens",
            "requested by security team"]
FUNCS = ["run", "call", "_retry", "execute", "commit", "fetch"]
SETTINGS = {"retention_days": [30, 90, 365], "sso_required": [True, False],
            "ip_allowlist": [[], ["10.0.0.0/8"], ["203.0.113.0/24", "198.51.100.0/24"]],
            "default_model": MODELS, "plan": ["team", "business", "enterprise"],
            "seats": [10, 25, 50, 100, 250]}

# event_type: (weight, resource type, actor class, metadata kind)
# actor class: u = human user, s = system/service, k = api key or user, a = anyone
EVENT_TYPES = [
    ("Agent Invoked",                  30.0, "agent",       "k", "invoke"),
    ("User Login",                     22.0, "user",        "u", "login"),
    ("Workspace API Key Used",         14.0, "api_key",     "k", "key_used"),
    ("Agent Started",                  11.0, "agent",       "a", "lifecycle"),
    ("Secret Accessed",                10.0, "secret",      "a", "secret_access"),
    ("Agent Deployed",                  9.0, "agent",       "a", "deploy"),
    ("Integration Sync Completed",      9.0, "integration", "s", "sync"),
    ("Agent Updated",                   7.0, "agent",       "u", "changes"),
    ("Agent Stopped",                   7.0, "agent",       "a", "lifecycle"),
    ("User Logout",                     7.0, "user",        "u", "login"),
    ("Agent Configuration Changed",     5.5, "agent",       "u", "changes"),
    ("Agent Run Failed",                4.0, "agent",       "s", "error"),
    ("User Login Failed",               3.0, "user",        "u", "login_failed"),
    ("Agent Created",                   2.5, "agent",       "u", "create"),
    ("Agent Version Published",         2.5, "agent",       "u", "deploy"),
    ("Rate Limit Exceeded",             2.5, "api_key",     "s", "rate_limit"),
    ("System Error",                    2.0, "agent",       "s", "error"),
    ("Integration Sync Failed",         2.0, "integration", "s", "error"),
    ("Performance Anomaly",             1.5, "agent",       "s", "perf"),
    ("Secret Rotated",                  1.5, "secret",      "a", "rotate"),
    ("Agent Permissions Changed",       1.4, "agent",       "u", "changes"),
    ("Workspace API Key Created",       1.2, "api_key",     "u", "create"),
    ("Workspace Member Added",          1.0, "user",        "u", "membership"),
    ("Workspace Settings Changed",      1.0, "workspace",   "u", "changes"),
    ("Agent Deleted",                   0.9, "agent",       "u", "delete"),
    ("Integration Connected",           0.8, "integration", "u", "create"),
    ("Integration Updated",             0.8, "integration", "u", "changes"),
    ("Secret Created",                  0.8, "secret",      "u", "create"),
    ("User Invited",                    0.8, "user",        "u", "invite"),
    ("Agent Rolled Back",               0.7, "agent",       "u", "deploy"),
    ("Role Changed",                    0.7, "user",        "u", "role"),
    ("Workspace API Key Revoked",       0.6, "api_key",     "u", "delete"),
    ("User Joined",                     0.6, "user",        "u", "invite"),
    ("Password Reset",                  0.5, "user",        "u", "login"),
    ("Workspace Member Removed",        0.4, "user",        "u", "membership"),
    ("Data Export Requested",           0.4, "workspace",   "u", "export"),
    ("Integration Removed",             0.3, "integration", "u", "delete"),
    ("MFA Enabled",                     0.3, "user",        "u", "login"),
    ("Workspace Created",               0.25, "workspace",  "u", "create"),
    ("Audit Log Exported",              0.2, "workspace",   "u", "export"),
    ("Secret Deleted",                  0.2, "secret",      "u", "delete"),
    ("User Removed",                    0.2, "user",        "u", "membership"),
    ("Organization Settings Updated",   0.15, "organization", "u", "changes"),
    ("Workspace Deleted",               0.08, "workspace",  "u", "delete"),
    ("Billing Plan Changed",            0.05, "organization", "u", "changes"),
]
# fmt: on
ORG_LEVEL = {
    "User Invited",
    "User Joined",
    "User Removed",
    "Role Changed",
    "MFA Enabled",
    "Password Reset",
    "Organization Settings Updated",
    "Billing Plan Changed",
    "Audit Log Exported",
    "User Login",
    "User Logout",
    "User Login Failed",
}
SELF_TARGETED = ("User Login", "User Logout", "User Login Failed", "Password Reset", "MFA Enabled")
ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"
DAY_MS = 86_400_000
HOUR_MS = 3_600_000

Pool = tuple[list[int], list[float]]


def cumulative(weights: Sequence[float]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


class World:
    """Organizations, workspaces, actors and resources, all derived from the seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = r = rng
        self.orgs = [{"id": self.hexid("org", 10), "name": n, "_domain": d} for n, d in ORGS]
        # 40 workspaces spread over the orgs (bigger orgs get more)
        self.workspaces: list[dict[str, Any]] = []
        for oi, cnt in enumerate(WORKSPACES_PER_ORG):
            for n in r.sample(WS_NAMES, cnt):
                self.workspaces.append({"id": self.hexid("ws", 10), "name": n, "_org": oi})
        self.ws_by_org = [
            [i for i, w in enumerate(self.workspaces) if w["_org"] == oi] for oi in range(5)
        ]
        self.actors: list[dict[str, Any]] = []
        self._add_users(276)
        self._add_machines()
        self.pool = self._activity_pools()
        self.res = self._resources()

    def hexid(self, prefix: str, n: int = 12) -> str:
        choice = self.rng.choice
        return prefix + "_" + "".join(choice(ID_CHARS) for _ in range(n))

    def _ip(self) -> str:
        r = self.rng
        first = r.choice([23, 34, 52, 81, 91, 104, 185, 203, 212])
        return f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def _add_users(self, count: int) -> None:
        r = self.rng
        used: set[tuple[str, str]] = set()
        while len(self.actors) < count:
            first = r.choice(FIRST)
            # make "Alice" a handful of people, not 1/64
            if len(self.actors) in (3, 57, 140) and "Alice" not in first:
                first = "Alice"
            last = r.choice(LAST)
            if (first, last) in used:
                continue
            used.add((first, last))
            oi = r.choices(range(5), weights=ORG_WEIGHTS)[0]
            org = self.orgs[oi]
            email = f"{first.lower()}.{last.lower()}@{org['_domain']}"
            own = self.ws_by_org[oi]
            wss = r.sample(own, min(len(own), r.randint(1, 4)))
            self.actors.append(
                {
                    "type": "user",
                    "id": self.hexid("usr", 12),
                    "name": f"{first} {last}",
                    "email": email,
                    "_org": oi,
                    "_ws": wss,
                    "_ips": [self._ip() for _ in range(r.randint(1, 3))],
                    "_ua": r.sample(USER_AGENTS[:6], 2),
                }
            )

    def _add_machines(self) -> None:
        """8 system accounts, 6 service accounts, 10 API keys."""
        r = self.rng
        for n in SYSTEM_NAMES:
            self.actors.append(
                {
                    "type": "system",
                    "id": self.hexid("sys", 8),
                    "name": n,
                    "email": None,
                    "_org": None,
                    "_ws": None,
                    "_ips": [f"10.0.{r.randint(0, 20)}.{r.randint(2, 250)}"],
                    "_ua": ["internal/" + n],
                }
            )
        for n in SERVICE_ACCOUNTS:
            oi = r.randrange(5)
            self.actors.append(
                {
                    "type": "service_account",
                    "id": self.hexid("svc", 10),
                    "name": n,
                    "email": f"{n}@{self.orgs[oi]['_domain']}",
                    "_org": oi,
                    "_ws": self.ws_by_org[oi],
                    "_ips": [self._ip()],
                    "_ua": [USER_AGENTS[r.randint(6, 11)]],
                }
            )
        for name in KEY_NAMES:
            oi = r.randrange(5)
            self.actors.append(
                {
                    "type": "api_key",
                    "id": self.hexid("key", 16),
                    "name": name,
                    "email": None,
                    "_org": oi,
                    "_ws": [r.choice(self.ws_by_org[oi])],
                    "_ips": [self._ip()],
                    "_ua": [USER_AGENTS[r.randint(6, 11)]],
                }
            )

    def _activity_pools(self) -> dict[str, Pool]:
        """Zipf-ish activity per actor class: a few power users generate most events."""
        r = self.rng
        kinds = [a["type"] for a in self.actors]
        users = [i for i, t in enumerate(kinds) if t == "user"]
        system = [i for i, t in enumerate(kinds) if t in ("system", "service_account")]
        keys = [i for i, t in enumerate(kinds) if t in ("api_key", "service_account")]

        def zipf(idx: list[int]) -> Pool:
            order = idx[:]
            r.shuffle(order)
            return order, cumulative([1.0 / (k + 1) ** 0.9 for k in range(len(order))])

        return {
            "u": zipf(users),
            "s": zipf(system),
            "k": zipf(keys + users[:40]),
            "a": zipf(users + system),
        }

    def _resources(self) -> dict[tuple[int, str], tuple[list[tuple[str, str]], list[float]]]:
        """Agents, keys, integrations and secrets of each workspace, with their weights."""
        r = self.rng
        res = {}
        for wi in range(len(self.workspaces)):
            agents = []
            for _ in range(r.randint(20, 90)):
                nm = f"{r.choice(AGENT_A)}-{r.choice(AGENT_B)}"
                if r.random() < 0.3:
                    nm += "-" + r.choice(AGENT_SUFFIXES)
                agents.append((self.hexid("agt", 12), nm))
            res[(wi, "agent")] = (
                agents,
                cumulative([1.0 / (k + 1) ** 0.7 for k in range(len(agents))]),
            )
            keys = [(self.hexid("key", 16), r.choice(KEY_NAMES)) for _ in range(r.randint(3, 15))]
            res[(wi, "api_key")] = (keys, cumulative([1.0 / (k + 1) for k in range(len(keys))]))
            ints = [(self.hexid("int", 12), n) for n in r.sample(INTEGRATIONS, r.randint(2, 9))]
            res[(wi, "integration")] = (ints, cumulative([1.0] * len(ints)))
            secs = [(self.hexid("sec", 12), n) for n in r.sample(SECRETS, r.randint(3, 12))]
            res[(wi, "secret")] = (secs, cumulative([1.0] * len(secs)))
        return res


class Generator:
    HOUR_CUM = cumulative(
        [0.6, 0.4, 0.35, 0.3, 0.35, 0.5, 0.9, 1.6, 2.8, 3.6, 3.9, 3.8]
        + [3.2, 3.6, 3.8, 3.6, 3.2, 2.6, 1.9, 1.5, 1.3, 1.1, 0.9, 0.7]
    )

    def __init__(self, seed: int, end: dt.datetime) -> None:
        self.rng = random.Random(seed)
        self.w = World(self.rng)
        self.end = end
        self.et_cum = cumulative([e[1] for e in EVENT_TYPES])

    # ---- time -------------------------------------------------------------------------------

    def day_counts(self, count: int, days: int = 400) -> list[tuple[dt.date, int]]:
        """How many events each day gets: weekends quieter, growth, a few incident days."""
        r = self.rng
        start = (self.end - dt.timedelta(days=days)).date()
        weights = []
        for d in range(days):
            day = start + dt.timedelta(days=d + 1)
            wd = day.weekday()
            w = 0.35 if wd == 5 else 0.28 if wd == 6 else 1.0
            w *= 0.55 + 0.65 * d / days  # product growth over the period
            w *= r.uniform(0.85, 1.15)
            if r.random() < 0.02:  # incident / launch days
                w *= r.uniform(2.0, 4.0)
            weights.append((day, w))
        total = sum(w for _, w in weights)
        exact = [count * w / total for _, w in weights]
        counts = [int(x) for x in exact]
        rest = count - sum(counts)
        for i in sorted(range(days), key=lambda i: exact[i] - counts[i], reverse=True)[:rest]:
            counts[i] += 1
        return [(weights[i][0], counts[i]) for i in range(days)]

    def day_times(self, day: dt.date, n: int) -> list[int]:
        """``n`` sorted epoch-ms times in ``day`` (UTC), busier in working hours."""
        r = self.rng
        base = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)
        hours = r.choices(range(24), cum_weights=self.HOUR_CUM, k=n)
        return sorted(base + h * HOUR_MS + r.randrange(HOUR_MS) for h in hours)

    # ---- one event --------------------------------------------------------------------------

    def pick(self, pool: Pool) -> int:
        idx, cum = pool
        return idx[bisect.bisect_left(cum, self.rng.random() * cum[-1])]

    def event(self, audited_at: str) -> dict[str, Any]:
        r, w = self.rng, self.w
        i = bisect.bisect_left(self.et_cum, r.random() * self.et_cum[-1])
        et, _, rtype, aclass, mkind = EVENT_TYPES[i]
        actor = w.actors[self.pick(w.pool[aclass])]
        if actor["_org"] is None:  # system actors act in any org
            oi = r.choices(range(5), weights=ORG_WEIGHTS)[0]
            wi = r.choice(w.ws_by_org[oi])
        else:
            oi = actor["_org"]
            wi = r.choice(actor["_ws"])
        org, ws = w.orgs[oi], w.workspaces[wi]
        if rtype in ("agent", "api_key", "integration", "secret"):
            items, cum = w.res[(wi, rtype)]
            rid, rname = items[bisect.bisect_left(cum, r.random() * cum[-1])]
        elif rtype == "user":
            tgt = actor if et in SELF_TARGETED else w.actors[self.pick(w.pool["u"])]
            rid, rname = tgt["id"], tgt["name"]
        elif rtype == "workspace":
            rid, rname = ws["id"], ws["name"]
        else:
            rid, rname = org["id"], org["name"]
        bits = r.getrandbits
        return {
            "id": f"{bits(32):08x}-{bits(16):04x}-4{bits(12):03x}-{0x8000 | bits(14):04x}-"
            f"{bits(48):012x}",
            "audited_at": audited_at,
            "event_type": et,
            "resource": {"type": rtype, "id": rid, "name": rname},
            "organization": {"id": org["id"], "name": org["name"]},
            "workspace": None if et in ORG_LEVEL else {"id": ws["id"], "name": ws["name"]},
            "actor": {
                "type": actor["type"],
                "id": actor["id"],
                "name": actor["name"],
                "email": actor["email"],
            },
            "metadata": self.metadata(mkind, et, actor, rname),
        }

    def metadata(self, kind: str, et: str, actor: dict[str, Any], rname: str) -> dict[str, Any]:
        r = self.rng
        md: dict[str, Any] = {
            "ip": r.choice(actor["_ips"]),
            "user_agent": r.choice(actor["_ua"]),
            "request_id": f"req_{r.getrandbits(96):024x}",
        }
        if actor["type"] == "user":
            md["source"] = r.choices(
                ["web", "cli", "api", "terraform"], cum_weights=[6, 8, 9.5, 10]
            )[0]
        else:
            md["source"] = "api" if actor["type"] != "system" else "internal"
        METADATA[kind](self, md, et, actor, rname)
        return md

    def config(self) -> dict[str, Any]:
        r = self.rng
        c: dict[str, Any] = {
            "model": r.choice(MODELS),
            "temperature": round(r.uniform(0, 1), 2),
            "max_tokens": r.choice([512, 1024, 2048, 4096]),
            "tools": r.sample(TOOLS, r.randint(0, 5)),
            "timeout_s": r.choice([30, 60, 120, 300]),
        }
        if r.random() < 0.5:
            c["system_prompt"] = r.choice(PROMPTS)
        return c

    def changes(self, et: str) -> dict[str, Any]:
        r = self.rng
        if et.startswith("Agent"):
            before = self.config()
            after = dict(before)
            for k in r.sample(list(before), r.randint(1, min(3, len(before)))):
                after[k] = self.config().get(k, before[k])
            if r.random() < 0.35:
                # a larger config diff (prompts, env) makes a minority of events 1-2 KB
                before["environment"] = {s: "***" for s in r.sample(SECRETS, r.randint(2, 6))}
                after["environment"] = dict(before["environment"], **{r.choice(SECRETS): "***"})
                before["system_prompt"] = r.choice(PROMPTS)
                after["system_prompt"] = r.choice(PROMPTS)
            return {"before": before, "after": after}
        if et.startswith(("Workspace", "Organization", "Billing")):
            k = r.choice(list(SETTINGS))
            a, b = r.sample(SETTINGS[k], 2)
            return {"before": {k: a}, "after": {k: b}}
        return {"before": {"scopes": ["read"]}, "after": {"scopes": ["read", "write"]}}

    def events(self, count: int, order: str = "asc") -> Iterator[dict[str, Any]]:
        days = self.day_counts(count)
        if order == "desc":
            days = days[::-1]
        for day, n in days:
            ts = self.day_times(day, n)
            if order == "desc":
                ts.reverse()
            prefix = day.strftime("%Y-%m-%dT")
            midnight = ts[0] - ts[0] % DAY_MS if ts else 0
            for t in ts:
                s, ms = divmod(t - midnight, 1000)
                m, s = divmod(s, 60)
                h, m = divmod(m, 60)
                yield self.event(f"{prefix}{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z")


# ---- metadata by kind: each adds its fields to ``md`` --------------------------------------

Meta = Callable[[Generator, dict[str, Any], str, dict[str, Any], str], None]


def _invoke(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    tin = int(r.lognormvariate(7, 1))
    md.update(
        run_id=f"run_{r.getrandbits(64):016x}",
        status=r.choices(["succeeded", "failed", "timeout"], cum_weights=[95, 99, 100])[0],
        duration_ms=int(r.lognormvariate(7.3, 0.8)),
        model=r.choice(MODELS),
        tokens={"input": tin, "output": int(tin * r.uniform(0.05, 0.6))},
        channel=r.choice(["api", "slack", "web", "email", "zendesk"]),
    )


def _login(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    md.update(
        method=r.choice(["sso", "password", "oauth_google", "oauth_github"]),
        mfa=r.random() < 0.8,
        session_id=f"ses_{r.getrandbits(80):020x}",
        geo=dict(zip(("country", "city"), r.choice(GEO), strict=True)),
    )


def _login_failed(
    g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str
) -> None:
    r = g.rng
    md.update(
        method=r.choice(["sso", "password"]),
        reason=r.choice(
            ["invalid_password", "mfa_failed", "account_locked", "sso_assertion_expired"]
        ),
        attempt=r.randint(1, 6),
    )


def _key_used(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    md.update(
        endpoint=r.choice(
            [
                "/v1/agents",
                "/v1/agents/{id}/invoke",
                "/v1/runs",
                "/v1/secrets",
                "/v1/integrations",
                "/v1/audit-logs",
            ]
        ),
        http_method=r.choice(["GET", "GET", "POST", "PATCH", "DELETE"]),
        status_code=r.choices(
            [200, 201, 204, 400, 401, 404, 500], cum_weights=[70, 80, 85, 92, 95, 99, 100]
        )[0],
        duration_ms=int(r.lognormvariate(4.5, 0.9)),
    )


def _lifecycle(
    g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str
) -> None:
    r = g.rng
    md.update(
        region=r.choice(REGIONS),
        replicas=r.randint(1, 8),
        reason=r.choice(["manual", "schedule", "autoscale", "deploy", "health_check"]),
    )


def _secret_access(
    g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str
) -> None:
    r = g.rng
    md.update(
        accessor=r.choice(["runtime", "deploy", "console"]),
        purpose=r.choice(["agent_run", "integration_sync", "manual_reveal"]),
    )


def _sync(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    md.update(
        records=int(r.lognormvariate(6, 1.5)),
        duration_ms=int(r.lognormvariate(8, 1)),
        cursor=f"cur_{r.getrandbits(64):016x}",
    )


def _deploy(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    md.update(
        version=f"v{r.randint(1, 4)}.{r.randint(0, 30)}.{r.randint(0, 20)}",
        environment=r.choice(["production", "staging", "preview"]),
        commit=f"{r.getrandbits(160):040x}",
        region=r.choice(REGIONS),
        duration_ms=int(r.lognormvariate(9.5, 0.6)),
        replicas=r.randint(1, 12),
        strategy=r.choice(["rolling", "blue_green", "canary"]),
    )


def _changes(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    md["changes"] = g.changes(et)
    if r.random() < 0.3:
        # the ticket number is drawn whichever comment is chosen (the list is built first)
        comments = [c % r.randint(100, 9999) if "%d" in c else c for c in COMMENTS]
        md["comment"] = r.choice(comments)


def _create(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    template = r.choice([None, "support-starter", "rag-basic", "classifier", "blank"])
    if et == "Agent Created":
        config = g.config()
    else:
        config = {
            "scopes": r.sample(
                ["read", "write", "invoke", "admin", "secrets:read"], r.randint(1, 3)
            )
        }
    md.update(template=template, config=config)


def _delete(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    md.update(
        reason=r.choice(["no longer needed", "replaced", "security", "cleanup", None]),
        soft_delete=r.random() < 0.7,
        snapshot={
            "name": rname,
            "created_at": f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T10:00:00Z",
            "owner": actor["name"],
        },
    )


def _rotate(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    md.update(
        previous_version=r.randint(1, 30),
        scheduled=r.random() < 0.6,
        expires_in_days=r.choice([30, 60, 90, 180]),
    )


def _error(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    code, msg, comp = r.choice(ERRORS)
    md.update(
        error={
            "code": code,
            "message": msg,
            "component": comp,
            "severity": r.choice(["error", "error", "critical", "warning"]),
            "trace_id": f"{r.getrandbits(128):032x}",
            "stack": [
                f"{r.choice(FRAMES)}:{r.randint(10, 900)} in {r.choice(FUNCS)}"
                for _ in range(r.randint(2, 9))
            ],
        },
        retry_count=r.randint(0, 5),
        duration_ms=int(r.lognormvariate(8, 1)),
    )


def _perf(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    base = r.uniform(50, 800)
    md.update(
        metric=r.choice(["latency_p95", "latency_p99", "error_rate", "token_usage", "queue_depth"]),
        baseline_ms=round(base, 1),
        p50_ms=round(base * r.uniform(1, 2), 1),
        p95_ms=round(base * r.uniform(2, 6), 1),
        p99_ms=round(base * r.uniform(5, 15), 1),
        window=f"{r.choice([5, 15, 60])}m",
        zscore=round(r.uniform(3, 9), 2),
        region=r.choice(REGIONS),
    )


def _rate_limit(
    g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str
) -> None:
    r = g.rng
    md.update(
        limit=r.choice([60, 600, 1000, 6000]),
        window_s=60,
        observed=r.randint(100, 20000),
        endpoint="/v1/agents/{id}/invoke",
    )


def _invite(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    domains = ["gmail.com", "outlook.com"] + [o[1] for o in ORGS]
    md.update(
        invitee_email=f"{r.choice(FIRST).lower()}.{r.choice(LAST).lower()}@{r.choice(domains)}",
        role=r.choice(ROLES),
        expires_at=f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T00:00:00Z",
    )


def _role(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    a, b = g.rng.sample(ROLES, 2)
    md["changes"] = {"before": {"role": a}, "after": {"role": b}}


def _membership(
    g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str
) -> None:
    md.update(role=g.rng.choice(ROLES))


def _export(g: Generator, md: dict[str, Any], et: str, actor: dict[str, Any], rname: str) -> None:
    r = g.rng
    md.update(
        format=r.choice(["csv", "json", "parquet"]),
        rows=r.randint(100, 2000000),
        filters={
            "from": "2025-01-01",
            "event_types": r.sample([e[0] for e in EVENT_TYPES], r.randint(0, 4)),
        },
    )


METADATA: dict[str, Meta] = {
    "invoke": _invoke,
    "login": _login,
    "login_failed": _login_failed,
    "key_used": _key_used,
    "lifecycle": _lifecycle,
    "secret_access": _secret_access,
    "sync": _sync,
    "deploy": _deploy,
    "changes": _changes,
    "create": _create,
    "delete": _delete,
    "rotate": _rotate,
    "error": _error,
    "perf": _perf,
    "rate_limit": _rate_limit,
    "invite": _invite,
    "role": _role,
    "membership": _membership,
    "export": _export,
}

# ---- output ---------------------------------------------------------------------------------

CSV_COLS = [
    "id",
    "audited_at",
    "event_type",
    "resource_type",
    "resource_id",
    "resource_name",
    "organization_id",
    "organization_name",
    "workspace_id",
    "workspace_name",
    "actor_type",
    "actor_id",
    "actor_name",
    "actor_email",
    "metadata",
]


def flat(ev: dict[str, Any]) -> list[Any]:
    ws = ev["workspace"] or {}
    return [
        ev["id"],
        ev["audited_at"],
        ev["event_type"],
        ev["resource"]["type"],
        ev["resource"]["id"],
        ev["resource"]["name"],
        ev["organization"]["id"],
        ev["organization"]["name"],
        ws.get("id", ""),
        ws.get("name", ""),
        ev["actor"]["type"],
        ev["actor"]["id"],
        ev["actor"]["name"],
        ev["actor"]["email"] or "",
        orjson.dumps(ev["metadata"]).decode(),
    ]


def write(events: Iterator[dict[str, Any]], fmt: str, out: BinaryIO) -> None:
    dumps = orjson.dumps  # the same bytes as json.dumps(ensure_ascii=False, compact), faster
    if fmt == "jsonl":
        buf: list[bytes] = []
        for ev in events:
            buf.append(dumps(ev))
            if len(buf) >= 5000:
                out.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            out.write(b"\n".join(buf) + b"\n")
    elif fmt == "json":
        out.write(b"[\n")
        sep = b""
        for ev in events:
            out.write(sep + dumps(ev))
            sep = b",\n"
        out.write(b"\n]\n")
    else:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        w = csv.writer(text)
        w.writerow(CSV_COLS)
        for ev in events:
            w.writerow(flat(ev))
        text.flush()
        text.detach()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default="-", help="output file, - for stdout")
    ap.add_argument("--format", choices=["jsonl", "json", "csv"], default="jsonl")
    ap.add_argument("--order", choices=["asc", "desc"], default="asc", help="time order")
    ap.add_argument(
        "--end", default="2025-11-25", help="last day of the 400-day window (UTC, YYYY-MM-DD)"
    )
    a = ap.parse_args(argv)
    end = dt.datetime.strptime(a.end, "%Y-%m-%d").replace(hour=23, minute=59, tzinfo=dt.UTC)
    events = Generator(a.seed, end).events(a.count, a.order)
    if a.out == "-":
        write(events, a.format, sys.stdout.buffer)
    else:
        with open(a.out, "wb") as out:
            write(events, a.format, out)


if __name__ == "__main__":
    main()
