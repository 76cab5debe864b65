#!/usr/bin/env python3
"""Generate the bundled demo dataset ``src/audit_tui/data/sample.jsonl.xz``.

The sample is the audit log of "Control Room", an AI-agent management platform: three
organizations, a dozen workspaces, ~60 people plus system accounts and API keys, ~40 event
types over the ~120 days before the moment the sample is opened.

The generator is deterministic (fixed seed, stdlib only): running it twice produces the same
JSON lines.  It is a small discrete-event simulation:

* background activity is drawn hour by hour per organization from three streams -- *human*
  (console work: logins, config changes, deployments; strong working-hours / weekday rhythm in
  the organization's own time zone), *traffic* (API keys and users invoking agents; a softer
  rhythm) and *machine* (schedulers, syncs, health checks; nearly flat) -- with slight growth;
* entity state (agent versions and config, user roles and MFA, secret versions, keys, broken
  integrations, ...) is kept so that before/after ``changes`` and lifecycles are consistent;
* a few scripted stories are placed in the last 30 days: a leaked API key (last 7 days), a
  failed deployment that gets rolled back, a one-hour incident burst, and a brute-force login.

Storage format (see ``audit_tui.sources.sample``): compact JSON, one event per line, oldest
first, every field in the native shape except ``audited_at``, which is stored as an integer
number of milliseconds relative to the moment the sample is opened (negative; the newest event
is a few minutes before that moment).  The loader turns it into an ISO-8601 UTC string.

Rhythms are computed against a notional clock in which the sample is opened on a Thursday at
15:42 UTC; times are shifted wholesale when loaded, so the rhythm lines up exactly only when
the sample is opened at that time of week.

Usage:  python scripts/gen_sample.py [--out PATH] [--stats]
"""

from __future__ import annotations

import argparse
import heapq
import json
import lzma
import math
import random
import sys
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED = 20_251_126
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "audit_tui" / "data" / "sample.jsonl.xz"

SEC = 1000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR
WEEK = 7 * DAY

SPAN_DAYS = 120
START = -SPAN_DAYS * DAY + 3 * HOUR  # oldest possible event, relative to the opening moment
END = -(3 * MIN + 17 * SEC)  # the newest event: a few minutes before the opening moment
# Notional opening moment, as ms since the Monday 00:00 UTC of its week (Thursday 15:42).
NOTIONAL_OPEN = 3 * DAY + 15 * HOUR + 42 * MIN
# Fixed epoch (ms) for the time component of the ULID-like event ids of t == 0.  Ids are
# stable across loads; they sort like the events but do not encode the shifted time.
ULID_ANCHOR_MS = 1_740_787_200_000  # 2025-03-01T00:00:00Z

INITECH_ONBOARD_DAYS = 106  # Initech becomes a customer inside the window
BACKGROUND_TARGET = {"traffic": 6300, "human": 4250, "machine": 2250}

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LOWER32 = "0123456789abcdefghjkmnpqrstvwxyz"

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------
# fmt: off

FIRST_NAMES = [
    "Alan", "Grace", "Sofia", "Jonas", "Amara", "Kenji", "Olivia", "Mateo", "Hannah", "Noah",
    "Aisha", "Liam", "Chloe", "Ethan", "Fatima", "Lucas", "Mia", "Diego", "Elena", "Omar",
    "Zoë", "Ravi", "Ingrid", "Samuel", "Nadia", "Felix", "Camille", "Yusuf", "Hugo", "Clara",
    "Mei", "Daniel", "Ayesha", "Victor", "Julia", "Kwame", "Sara", "Arjun", "Emma", "Leo",
    "Rosa", "Tariq", "Nina", "Pablo", "Freya", "Dmitri", "Maya", "Oscar", "Leila", "André",
    "Renée", "José", "Søren", "Björn", "Aiko", "Niamh", "Chidi", "Marta", "Owen", "Tessa",
]
LAST_NAMES = [
    "Okafor", "Tanaka", "Novak", "García", "Schmidt", "Dubois", "Kowalski", "Rossi",
    "Nakamura", "Haddad", "Silva", "Jensen", "Müller", "O'Brien", "Chen", "Patel", "Nguyen",
    "Kim", "Moreau", "Andersson", "Costa", "Hughes", "Ibrahim", "Lindqvist", "Martins",
    "Petrov", "Reyes", "Sato", "Walsh", "Yilmaz", "Zhang", "Adeyemi", "Brennan", "Castillo",
    "Duarte", "Ericsson", "Fontaine", "Gupta", "Holm", "Ivanova", "Keller", "Lopez", "Mensah",
]

CITIES = {
    "US-E": [("US", "New York"), ("US", "Boston"), ("US", "Philadelphia"), ("US", "Atlanta"),
             ("US", "Chicago"), ("CA", "Toronto")],
    "EU": [("DE", "Berlin"), ("NL", "Amsterdam"), ("FR", "Paris"), ("GB", "London"),
           ("ES", "Madrid"), ("DE", "Munich"), ("PL", "Warsaw")],
    "US-W": [("US", "San Francisco"), ("US", "Seattle"), ("US", "Portland"), ("US", "Oakland"),
             ("US", "San Jose")],
}
IP_FIRST_OCTETS = {
    "US-E": [24, 67, 68, 71, 73, 96, 98, 108, 173],
    "EU": [31, 46, 62, 77, 80, 85, 88, 91, 93, 217],
    "US-W": [50, 67, 69, 75, 76, 99, 107, 172],
}


def _chrome(os_part: str) -> Callable[[int], str]:
    def ua(version: int) -> str:
        return (
            f"Mozilla/5.0 ({os_part}) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{version}.0.0.0 Safari/537.36"
        )

    return ua


BROWSERS: list[Callable[[int], str]] = [
    _chrome("Macintosh; Intel Mac OS X 10_15_7"),
    _chrome("Macintosh; Intel Mac OS X 10_15_7"),
    _chrome("Windows NT 10.0; Win64; x64"),
    _chrome("X11; Linux x86_64"),
    lambda v: (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0"
    ),
    lambda v: (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
    ),
    lambda v: (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0"
    ),
]
CLI_UA = "controlroom-cli/2.3.1 (darwin; arm64)"

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-5-haiku", "gemini-1.5-pro",
          "llama-3.1-70b", "mistral-large"]
# ms per output token, rough
MODEL_SPEED = {"gpt-4o": 14, "gpt-4o-mini": 7, "claude-3-5-sonnet": 15, "claude-3-5-haiku": 8,
               "gemini-1.5-pro": 16, "llama-3.1-70b": 11, "mistral-large": 13}
# USD per million tokens (input, output)
MODEL_PRICE = {"gpt-4o": (2.5, 10.0), "gpt-4o-mini": (0.15, 0.6),
               "claude-3-5-sonnet": (3.0, 15.0), "claude-3-5-haiku": (0.8, 4.0),
               "gemini-1.5-pro": (1.25, 5.0), "llama-3.1-70b": (0.9, 0.9),
               "mistral-large": (2.0, 6.0)}
TOOLS = ["web_search", "sql_query", "send_email", "create_ticket", "lookup_invoice",
         "slack_post", "crm_lookup", "vector_search", "code_interpreter", "http_request"]

AGENT_DESCRIPTIONS = [
    "Handles first-line triage", "Drafts replies for human review", "Runs nightly",
    "Summarises inbound documents", "Escalates high-risk cases to a human",
    "Answers from the knowledge base only", "Beta: limited to internal users",
    "Owned by the platform team",
]
AGENT_TAGS = ["beta", "pii", "customer-facing", "internal", "critical", "experimental",
              "finance", "support", "nightly"]

WORKSPACE_PLAN: dict[str, list[dict[str, Any]]] = {
    # name, environment, weight, agent names (existing), reserve names (created later),
    # integrations, secrets, api keys, days ago created (None = before the window)
    "acme": [
        dict(name="Finance Ops", env="production", weight=1.0,
             agents=["invoice-bot", "expense-auditor", "payment-reconciler"],
             reserve=["vendor-onboarding", "po-matcher"],
             integrations=["Slack", "Salesforce", "Google Drive"],
             secrets=["OPENAI_API_KEY", "SALESFORCE_CLIENT_SECRET", "SLACK_BOT_TOKEN"],
             keys=[("backend service", "service"), ("terraform", "iac")]),
        dict(name="Customer Support", env="production", weight=1.3,
             agents=["support-triage", "refund-assistant", "faq-responder"],
             reserve=["escalation-router", "csat-analyzer"],
             integrations=["Zendesk", "Slack"],
             secrets=["ANTHROPIC_API_KEY", "ZENDESK_API_TOKEN", "SLACK_BOT_TOKEN"],
             keys=[("zendesk webhook", "service"), ("CI deploy key", "ci")]),
        dict(name="Production", env="production", weight=1.8,
             agents=["order-router", "fraud-screener", "shipping-eta", "catalog-enricher"],
             reserve=["returns-helper"],
             integrations=["GitHub", "PagerDuty", "Snowflake"],
             secrets=["OPENAI_API_KEY", "STRIPE_SECRET_KEY", "DATABASE_URL",
                      "WEBHOOK_SIGNING_SECRET"],
             keys=[("backend service", "service"), ("mobile app backend", "service"),
                   ("CI deploy key", "ci"), ("terraform", "iac")]),
        dict(name="Staging", env="staging", weight=0.7,
             agents=["order-router-staging", "fraud-screener-staging"],
             reserve=["shipping-eta-staging"],
             integrations=["GitHub"],
             secrets=["OPENAI_API_KEY", "DATABASE_URL"],
             keys=[("staging smoke tests", "service"), ("CI deploy key", "ci")]),
        dict(name="Data Science", env="development", weight=0.6, created_days_ago=93,
             agents=["churn-predictor", "report-writer"],
             reserve=["sql-copilot", "anomaly-explainer"],
             integrations=["Snowflake", "Slack"],
             secrets=["OPENAI_API_KEY", "SNOWFLAKE_PASSWORD"],
             keys=[("data pipeline", "service")]),
    ],
    "globex": [
        dict(name="Production", env="production", weight=1.6,
             agents=["lead-router", "contract-reviewer", "pricing-advisor", "kb-answerer"],
             reserve=["renewal-nudger"],
             integrations=["GitHub", "Slack", "Snowflake"],
             secrets=["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DATABASE_URL"],
             keys=[("backend service", "service"), ("github-actions", "ci"),
                   ("terraform", "iac")]),
        dict(name="Staging", env="staging", weight=0.6,
             agents=["lead-router-staging", "contract-reviewer-staging"],
             reserve=["pricing-advisor-staging"],
             integrations=["GitHub"],
             secrets=["OPENAI_API_KEY", "DATABASE_URL"],
             keys=[("github-actions", "ci"), ("staging smoke tests", "service")]),
        dict(name="Sales Automation", env="production", weight=1.2,
             agents=["lead-qualifier", "email-drafter", "crm-updater", "meeting-summarizer"],
             reserve=["deal-desk-assistant"],
             integrations=["Salesforce", "HubSpot", "Slack"],
             secrets=["OPENAI_API_KEY", "SALESFORCE_CLIENT_SECRET", "HUBSPOT_API_KEY"],
             keys=[("zapier", "service"), ("terraform", "iac")]),
        dict(name="Research", env="development", weight=0.5, created_days_ago=58,
             agents=["paper-summarizer", "lit-search"],
             reserve=["experiment-logger"],
             integrations=["Notion", "GitHub"],
             secrets=["ANTHROPIC_API_KEY", "NOTION_TOKEN"],
             keys=[("notebook access", "service")]),
    ],
    "initech": [
        dict(name="Customer Support", env="production", weight=1.2,
             created_days_ago=INITECH_ONBOARD_DAYS,
             agents=["ticket-classifier", "reply-drafter"],
             reserve=["sla-watcher"],
             integrations=["Jira", "Slack"],
             secrets=["OPENAI_API_KEY", "JIRA_API_TOKEN", "SLACK_BOT_TOKEN"],
             keys=[("helpdesk backend", "service"), ("github-actions", "ci")]),
        dict(name="Internal Tools", env="production", weight=1.0,
             created_days_ago=INITECH_ONBOARD_DAYS,
             agents=["tps-report-bot", "it-helpdesk", "onboarding-buddy"],
             reserve=["expense-helper"],
             integrations=["Slack", "Google Drive", "GitHub"],
             secrets=["ANTHROPIC_API_KEY", "GOOGLE_SERVICE_ACCOUNT_JSON"],
             keys=[("intranet backend", "service"), ("terraform", "iac")]),
        dict(name="Sandbox", env="development", weight=0.4, created_days_ago=42,
             agents=["playground-agent"],
             reserve=["prompt-lab", "eval-runner"],
             integrations=["GitHub"],
             secrets=["OPENAI_API_KEY"],
             keys=[("local experiments", "service")]),
    ],
}
SCHEDULED_AGENTS = {"payment-reconciler", "report-writer", "churn-predictor", "crm-updater",
                    "experiment-logger", "tps-report-bot", "expense-auditor", "catalog-enricher",
                    "sla-watcher", "meeting-summarizer", "kb-answerer"}

PROVIDER_SLUG = {"Slack": "slack", "Salesforce": "salesforce", "Google Drive": "google_drive",
                 "Zendesk": "zendesk", "GitHub": "github", "PagerDuty": "pagerduty",
                 "Snowflake": "snowflake", "HubSpot": "hubspot", "Notion": "notion",
                 "Jira": "jira"}
PROVIDER_SCOPES = {
    "slack": ["chat:write", "channels:read"], "salesforce": ["api", "refresh_token"],
    "google_drive": ["drive.readonly"], "zendesk": ["tickets:read", "tickets:write"],
    "github": ["repo", "read:org"], "pagerduty": ["incidents.write"],
    "snowflake": ["USAGE", "SELECT"], "hubspot": ["crm.objects.contacts.read"],
    "notion": ["read_content"], "jira": ["read:jira-work", "write:jira-work"],
}

KEY_SCOPES = {
    "service": ["agents:invoke", "agents:read"],
    "ci": ["agents:deploy", "agents:read"],
    "iac": ["agents:write", "secrets:write", "workspace:admin"],
}
KEY_UA = {
    "service": ["controlroom-sdk-python/1.12.0 python/3.12.4",
                "controlroom-sdk-node/3.4.1 node/20.14.0", "python-httpx/0.27.0"],
    "ci": ["GitHub-Actions controlroom-deploy-action/v2"],
    "iac": ["terraform-provider-controlroom/1.8.2"],
}
KEY_ENDPOINTS = {
    "service": [("POST /v1/agents/{agent_id}/invoke", 6), ("GET /v1/agents/{agent_id}", 2),
                ("GET /v1/runs/{run_id}", 3), ("GET /v1/agents", 1)],
    "ci": [("POST /v1/agents/{agent_id}/deployments", 3),
           ("GET /v1/deployments/{deployment_id}", 4), ("GET /v1/agents/{agent_id}", 1)],
    "iac": [("GET /v1/workspaces/{workspace_id}", 3), ("GET /v1/agents/{agent_id}/config", 3),
            ("PUT /v1/agents/{agent_id}/config", 1), ("GET /v1/secrets", 1)],
}

SYSTEM_ACCOUNTS = [
    ("scheduler", "controlroom-scheduler/4.2.0"),
    ("health-monitor", "controlroom-health-monitor/4.2.0"),
    ("deploy-bot", "controlroom-deployer/4.2.0"),
    ("secret-rotator", "controlroom-vault-rotator/1.6.3"),
    ("sync-worker", "controlroom-sync-worker/4.2.0"),
    ("api-gateway", "controlroom-gateway/4.2.0"),
]

SYSTEM_ERRORS = [
    ("AGENT_TIMEOUT", "Agent run exceeded the 30s timeout", 504, "agent-runtime", 30000),
    ("UPSTREAM_MODEL_ERROR", "Model provider returned 503 Service Unavailable", 502,
     "model-gateway", 2400),
    ("TOOL_EXECUTION_FAILED", "Tool '{tool}' raised HTTPError: 500 Internal Server Error", 500,
     "agent-runtime", 1800),
    ("OUT_OF_MEMORY", "Worker killed: memory limit 2Gi exceeded", 500, "agent-runtime", 9000),
    ("CONTEXT_LENGTH_EXCEEDED", "Prompt exceeds the model context window (128000 tokens)", 400,
     "agent-runtime", 300),
    ("VECTOR_STORE_UNAVAILABLE", "Connection to vector store refused", 503, "retrieval", 5000),
    ("RATE_LIMITED_UPSTREAM", "Model provider rate limit hit (429), retries exhausted", 429,
     "model-gateway", 12000),
]
SYNC_ERRORS = [
    ("AUTH_EXPIRED", "OAuth refresh token expired or revoked", 401),
    ("RATE_LIMITED", "Provider API rate limit reached", 429),
    ("TIMEOUT", "Sync request timed out after 60s", 504),
    ("SCHEMA_CHANGED", "Field mapping failed: unknown field 'custom_region__c'", 422),
]
LOGIN_FAIL_REASONS = [("invalid_password", 6), ("mfa_failed", 2), ("sso_assertion_expired", 1)]
POLICIES = [("PII redaction", "pol"), ("Prompt injection guardrail", "pol"),
            ("Monthly spend limit", "pol"), ("Allowed models", "pol")]


# fmt: on
# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

rng = random.Random(SEED)


def short_id(prefix: str, n: int = 12) -> str:
    bits = rng.getrandbits(5 * n)
    chars = []
    for _ in range(n):
        chars.append(LOWER32[bits & 31])
        bits >>= 5
    return prefix + "_" + "".join(chars)


def ulid(ms: int) -> str:
    chars = []
    for _ in range(10):
        chars.append(CROCKFORD[ms & 31])
        ms >>= 5
    rand = rng.getrandbits(80)
    tail = []
    for _ in range(16):
        tail.append(CROCKFORD[rand & 31])
        rand >>= 5
    return "".join(reversed(chars)) + "".join(tail)


def hexsha() -> str:
    return f"{rng.getrandbits(28):07x}"


def weighted(pairs: list[tuple[Any, float]]) -> Any:
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for item, w in pairs:
        x -= w
        if x < 0:
            return item
    return pairs[-1][0]


def poisson(lam: float) -> int:
    if lam <= 0:
        return 0
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def lognorm(median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def ascii_fold(text: str) -> str:
    text = text.replace("ø", "o").replace("ß", "ss").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in text.lower() if c.isalnum())


def fmt_version(v: tuple[int, int, int]) -> str:
    return f"{v[0]}.{v[1]}.{v[2]}"


def bump(v: tuple[int, int, int]) -> tuple[int, int, int]:
    r = rng.random()
    if r < 0.72:
        return (v[0], v[1], v[2] + 1)
    if r < 0.97:
        return (v[0], v[1] + 1, 0)
    return (v[0] + 1, 0, 0)


def public_ip(region: str) -> str:
    return (
        f"{rng.choice(IP_FIRST_OCTETS[region])}.{rng.randint(1, 254)}."
        f"{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


HUMAN_HOURLY = [
    0.03,
    0.02,
    0.02,
    0.02,
    0.03,
    0.06,
    0.15,
    0.35,
    0.75,
    1.0,
    1.0,
    0.95,
    0.7,
    0.85,
    1.0,
    0.95,
    0.85,
    0.6,
    0.35,
    0.22,
    0.18,
    0.14,
    0.09,
    0.05,
]
HUMAN_WEEKDAY = [1.0, 1.05, 1.05, 1.0, 0.85, 0.1, 0.07]


def local_clock(t: int, tz: int) -> tuple[int, int]:
    x = (NOTIONAL_OPEN + t + tz * HOUR) % WEEK
    return int((x % DAY) // HOUR), int(x // DAY)


def intensity(stream: str, t: int, tz: int) -> float:
    hour, wd = local_clock(t, tz)
    h = HUMAN_HOURLY[hour]
    if stream == "human":
        return h * HUMAN_WEEKDAY[wd]
    if stream == "traffic":
        return (0.3 + 0.7 * h) * (0.45 if wd >= 5 else 1.0)
    return (0.7 + 0.3 * h) * (0.85 if wd >= 5 else 1.0)


def growth(t: int) -> float:
    return 0.78 + 0.44 * (t - START) / (END - START)


# --------------------------------------------------------------------------------------------
# Entities
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Org:
    key: str
    id: str
    name: str
    domain: str
    tz: int
    region: str
    aws_region: str
    share: float
    onboard_t: int
    office_ips: list[str]
    workspaces: list[Workspace] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    policies: list[dict[str, Any]] = field(default_factory=list)
    sso: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}

    def active_users(self) -> list[User]:
        return [u for u in self.users if u.active]

    def admins(self) -> list[User]:
        return [u for u in self.users if u.active and u.role in ("owner", "admin")]

    def live_workspaces(self) -> list[Workspace]:
        return [w for w in self.workspaces if w.alive]


@dataclass(eq=False)
class Workspace:
    org: Org
    id: str
    name: str
    env: str
    weight: float
    alive: bool
    created_days_ago: int | None
    agents: list[Agent] = field(default_factory=list)
    reserve: list[str] = field(default_factory=list)
    integrations: list[Integration] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    keys: list[ApiKey] = field(default_factory=list)
    members: list[User] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}

    def live_agents(self) -> list[Agent]:
        return [a for a in self.agents if a.alive]

    def running_agents(self) -> list[Agent]:
        return [a for a in self.agents if a.alive and a.running]

    def live_keys(self, kind: str | None = None) -> list[ApiKey]:
        return [k for k in self.keys if k.alive and (kind is None or k.kind == kind)]

    def editors(self) -> list[User]:
        return [u for u in self.members if u.active and u.role != "viewer"]


@dataclass(eq=False)
class Agent:
    ws: Workspace
    id: str
    name: str
    version: tuple[int, int, int]
    config: dict[str, Any]
    alive: bool = True
    running: bool = True
    popularity: float = 1.0
    scheduled: bool = False
    protected: bool = False
    deployed: bool = True
    revision: int = 1
    description: str = ""
    tags: list[str] = field(default_factory=list)
    failing_until: int = -(10**12)
    history: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def resource(self) -> dict[str, str]:
        return {"type": "agent", "id": self.id, "name": self.name}


@dataclass(eq=False)
class Integration:
    ws: Workspace
    id: str
    name: str
    alive: bool = True
    broken: bool = False

    @property
    def slug(self) -> str:
        return PROVIDER_SLUG[self.name]

    @property
    def resource(self) -> dict[str, str]:
        return {"type": "integration", "id": self.id, "name": self.name}


@dataclass(eq=False)
class Secret:
    ws: Workspace
    id: str
    name: str
    version: int = 1
    alive: bool = True

    @property
    def resource(self) -> dict[str, str]:
        return {"type": "secret", "id": self.id, "name": self.name}


@dataclass(eq=False)
class ApiKey:
    ws: Workspace
    id: str
    name: str
    kind: str
    prefix: str
    ips: list[str]
    ua: str
    alive: bool = True
    _actor: dict[str, Any] | None = None

    @property
    def resource(self) -> dict[str, str]:
        return {"type": "api_key", "id": self.id, "name": self.name}

    @property
    def actor(self) -> dict[str, Any]:
        if self._actor is None:
            self._actor = {"type": "api_key", "id": self.id, "name": self.name, "email": None}
        return self._actor


@dataclass(eq=False)
class User:
    org: Org
    id: str
    name: str
    email: str
    role: str
    geo: tuple[str, str]
    home_ip: str
    browser: Callable[[int], str]
    activity: float
    mfa: bool
    active: bool
    uses_cli: bool
    session: str | None = None
    _actor: dict[str, Any] | None = None

    @property
    def resource(self) -> dict[str, str]:
        return {"type": "user", "id": self.id, "name": self.name}

    @property
    def actor(self) -> dict[str, Any]:
        if self._actor is None:
            self._actor = {"type": "user", "id": self.id, "name": self.name, "email": self.email}
        return self._actor


@dataclass(eq=False)
class System:
    id: str
    name: str
    ua: str
    ips: list[str]

    @property
    def actor(self) -> dict[str, Any]:
        return {"type": "system", "id": self.id, "name": self.name, "email": None}


# --------------------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------------------


class Sim:
    def __init__(self) -> None:
        self.events: list[tuple[int, int, dict[str, Any]]] = []
        self.queue: list[tuple[int, int, Callable[[int], None]]] = []
        self.seq = 0
        self.orgs: list[Org] = []
        self.systems: dict[str, System] = {}
        self.incidents: list[tuple[Org, int, int]] = []
        self.used_names: set[str] = set()
        self.build_world()

    # ---- plumbing ---------------------------------------------------------------------------

    def at(self, t: int, fn: Callable[[int], None]) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (t, self.seq, fn))

    def emit(
        self,
        t: int,
        event_type: str,
        resource: dict[str, Any],
        org: Org,
        ws: Workspace | None,
        actor: dict[str, Any],
        meta: dict[str, Any],
    ) -> None:
        if t > END:
            return
        self.seq += 1
        self.events.append(
            (
                t,
                self.seq,
                {
                    "id": "",
                    "audited_at": t,
                    "event_type": event_type,
                    "resource": resource,
                    "organization": org.ref,
                    "workspace": ws.ref if ws is not None else None,
                    "actor": actor,
                    "metadata": meta,
                },
            )
        )

    def req(self) -> str:
        return short_id("req", 16)

    def chrome_version(self, t: int) -> int:
        return 126 + (t - START) // (28 * DAY)

    def user_meta(self, t: int, user: User, cli: bool = False, **extra: Any) -> dict[str, Any]:
        hour, wd = local_clock(t, user.org.tz)
        # on a weekday in office hours, people are at the office, except on their
        # work-from-home days (a quarter of them, fixed per person and day)
        day = (t + user.org.tz * HOUR) // DAY
        wfh = zlib.crc32(f"{user.id}/{day}".encode()) % 4 == 0
        at_office = wd < 5 and 8 <= hour < 18 and not wfh
        ip = rng.choice(user.org.office_ips) if at_office else user.home_ip
        ua = CLI_UA if cli else user.browser(self.chrome_version(t))
        meta = {"ip": ip, "user_agent": ua, "request_id": self.req()}
        if user.session is not None and not cli:
            meta["session_id"] = user.session
        meta.update(extra)
        return meta

    def key_meta(self, key: ApiKey, **extra: Any) -> dict[str, Any]:
        return {"ip": rng.choice(key.ips), "user_agent": key.ua, "request_id": self.req(), **extra}

    def sys_meta(self, name: str, **extra: Any) -> dict[str, Any]:
        s = self.systems[name]
        return {"ip": rng.choice(s.ips), "user_agent": s.ua, "request_id": self.req(), **extra}

    def geo(self, user: User) -> dict[str, str]:
        return {"country": user.geo[0], "city": user.geo[1]}

    def day_at(self, org: Org, days_ago: float, hh: int, mm: int = 0) -> int:
        """t of local hh:mm (plus random seconds), ``days_ago`` days before the opening day."""
        open_local = NOTIONAL_OPEN + org.tz * HOUR
        midnight = open_local - open_local % DAY
        local = midnight - int(days_ago * DAY) + hh * HOUR + mm * MIN + rng.randrange(MIN)
        return local - org.tz * HOUR - NOTIONAL_OPEN

    def j(self, ms: int) -> int:
        """``ms`` give or take up to 20 seconds, so scripted steps don't look scripted."""
        return ms + rng.randint(-20 * SEC, 20 * SEC)

    # ---- world ------------------------------------------------------------------------------

    def build_world(self) -> None:
        for name, ua in SYSTEM_ACCOUNTS:
            ips = [
                f"10.{rng.randint(0, 40)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
                for _ in range(rng.randint(1, 3))
            ]
            self.systems[name] = System(short_id("sys", 10), name, ua, ips)

        specs = [
            ("acme", "Acme Corp", "acme.example", -5, "US-E", "us-east-1", 0.46, None),
            ("globex", "Globex", "globex.example", 1, "EU", "eu-west-1", 0.34, None),
            (
                "initech",
                "Initech",
                "initech.example",
                -8,
                "US-W",
                "us-west-2",
                0.20,
                INITECH_ONBOARD_DAYS,
            ),
        ]
        for key, name, domain, tz, region, aws, share, onboard in specs:
            org = Org(
                key,
                short_id("org", 10),
                name,
                domain,
                tz,
                region,
                aws,
                share,
                START,
                [public_ip(region) for _ in range(2)],
            )
            if onboard is not None:
                org.onboard_t = self.day_at(org, onboard, 9, 12)
            org.settings = {
                "session_timeout_minutes": 480,
                "require_mfa": False,
                "audit_log_retention_days": 365,
                "ip_allowlist_enabled": False,
                "api_key_max_ttl_days": None,
                "default_region": aws,
            }
            org.policies = [
                {
                    "id": short_id("pol", 10),
                    "name": "PII redaction",
                    "field": "mode",
                    "value": "mask",
                },
                {
                    "id": short_id("pol", 10),
                    "name": "Prompt injection guardrail",
                    "field": "threshold",
                    "value": 0.8,
                },
                {
                    "id": short_id("pol", 10),
                    "name": "Monthly spend limit",
                    "field": "limit_usd",
                    "value": 5000,
                },
                {
                    "id": short_id("pol", 10),
                    "name": "Allowed models",
                    "field": "models",
                    "value": ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet"],
                },
            ]
            org.sso = {
                "id": short_id("sso", 10),
                "name": rng.choice(["Okta SAML", "Google Workspace", "Azure AD SAML"]),
                "enforce_sso": False,
            }
            self.orgs.append(org)
            for plan in WORKSPACE_PLAN[key]:
                ws = Workspace(
                    org,
                    short_id("ws", 10),
                    plan["name"],
                    plan["env"],
                    plan["weight"],
                    alive=plan.get("created_days_ago") is None,
                    created_days_ago=plan.get("created_days_ago"),
                    plan=plan,
                )
                ws.settings = {
                    "default_model": rng.choice(MODELS[:4]),
                    "monthly_budget_usd": rng.choice([500, 1000, 2000, 5000]),
                    "data_region": aws,
                }
                ws.reserve = list(plan["reserve"])
                org.workspaces.append(ws)
                for aname in plan["agents"]:
                    ws.agents.append(self.new_agent(ws, aname, initial=ws.alive))
                for iname in plan["integrations"]:
                    ws.integrations.append(
                        Integration(ws, short_id("int", 10), iname, alive=ws.alive)
                    )
                for sname in plan["secrets"]:
                    ws.secrets.append(
                        Secret(
                            ws,
                            short_id("sec", 10),
                            sname,
                            version=rng.randint(1, 6) if ws.alive else 1,
                            alive=ws.alive,
                        )
                    )
                for kname, kind in plan["keys"]:
                    ws.keys.append(self.new_key(ws, kname, kind, alive=ws.alive))
        self.build_people()

    def new_agent(self, ws: Workspace, name: str, initial: bool) -> Agent:
        cfg = {
            "model": rng.choice(MODELS),
            "temperature": rng.choice([0.0, 0.1, 0.2, 0.3, 0.5, 0.7]),
            "max_tokens": rng.choice([512, 1024, 2048, 4096]),
            "timeout_s": rng.choice([30, 60, 120]),
            "tools": sorted(rng.sample(TOOLS, rng.randint(1, 3))),
            "memory_enabled": rng.random() < 0.4,
            "retrieval_top_k": rng.choice([3, 5, 8, 10]),
        }
        if initial:
            version = (rng.choice([1, 1, 1, 2, 3]), rng.randint(0, 9), rng.randint(0, 12))
        else:
            version = (0, 1, 0)
        return Agent(
            ws,
            short_id("agt"),
            name,
            version,
            cfg,
            alive=initial,
            deployed=initial,
            popularity=lognorm(1.0, 0.8),
            scheduled=name in SCHEDULED_AGENTS,
            revision=rng.randint(3, 40) if initial else 1,
            description=rng.choice(AGENT_DESCRIPTIONS),
            tags=sorted(rng.sample(AGENT_TAGS, rng.randint(0, 2))),
        )

    def new_key(self, ws: Workspace, name: str, kind: str, alive: bool) -> ApiKey:
        kid = short_id("key", 12)
        if kind == "ci":
            ips = [
                f"20.{rng.randint(1, 250)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                for _ in range(4)
            ]
        else:
            first = {"US-E": 3, "EU": 52, "US-W": 35}[ws.org.region]
            ips = [
                f"{first}.{rng.randint(1, 250)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                for _ in range(rng.randint(1, 3))
            ]
        return ApiKey(
            ws, kid, name, kind, "crk_live_" + kid[4:8], ips, rng.choice(KEY_UA[kind]), alive=alive
        )

    def build_people(self) -> None:
        fixed = {
            "acme": [
                ("Dana Whitfield", "owner"),
                ("Priya Raman", "security_admin"),
                ("Tom Becker", "developer"),
                ("Lena Fischer", "operator"),
                ("Marcus Webb", "admin"),
            ],
            "globex": [
                ("Hank Scorpio", "owner"),
                ("Marco Bianchi", "operator"),
                ("Ines Duarte", "security_admin"),
                ("Katrin Vogel", "admin"),
            ],
            "initech": [
                ("Bill Lumbergh", "owner"),
                ("Peter Gibbons", "developer"),
                ("Samir Nagheenanajar", "admin"),
                ("Michael Bolton", "developer"),
                ("Joanna Reyes", "security_admin"),
            ],
        }
        sizes = {"acme": 25, "globex": 21, "initech": 13}
        for org in self.orgs:
            people = list(fixed[org.key])
            while len(people) < sizes[org.key]:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                if name in self.used_names or any(name == p for p, _ in people):
                    continue
                r = rng.random()
                role = (
                    "admin"
                    if r < 0.08
                    else "developer"
                    if r < 0.62
                    else "operator"
                    if r < 0.82
                    else "viewer"
                )
                people.append((name, role))
            for name, role in people:
                self.used_names.add(name)
                first, last = name.split(" ", 1)
                email = f"{ascii_fold(first)}.{ascii_fold(last)}@{org.domain}"
                activity = {
                    "owner": 0.6,
                    "admin": 1.0,
                    "security_admin": 0.8,
                    "developer": 1.3,
                    "operator": 1.1,
                    "viewer": 0.4,
                }[role]
                user = User(
                    org,
                    short_id("usr", 10),
                    name,
                    email,
                    role,
                    rng.choice(CITIES[org.region]),
                    public_ip(org.region),
                    rng.choice(BROWSERS),
                    activity * lognorm(1.0, 0.4),
                    mfa=rng.random() < 0.7,
                    active=org.key != "initech",
                    uses_cli=role in ("developer", "operator") and rng.random() < 0.4,
                )
                org.users.append(user)
            for u in org.users:
                if u.name == "Michael Bolton":
                    u.mfa = False
            # pre-existing workspace membership
            for u in org.users:
                for ws in org.workspaces:
                    if not ws.alive:
                        continue
                    if u.role in ("owner", "admin", "security_admin") or rng.random() < 0.35:
                        ws.members.append(u)

    def user(self, org: Org, name: str) -> User:
        return next(u for u in org.users if u.name == name)

    def org(self, key: str) -> Org:
        return next(o for o in self.orgs if o.key == key)

    # ---- picking ----------------------------------------------------------------------------

    def pick_ws(self, org: Org) -> Workspace | None:
        wss = org.live_workspaces()
        return weighted([(w, w.weight) for w in wss]) if wss else None

    def pick_user(self, org: Org, pool: list[User] | None = None) -> User | None:
        pool = org.active_users() if pool is None else [u for u in pool if u.active]
        return weighted([(u, u.activity) for u in pool]) if pool else None

    def pick_agent(self, ws: Workspace, running: bool = True) -> Agent | None:
        pool = ws.running_agents() if running else ws.live_agents()
        return weighted([(a, a.popularity) for a in pool]) if pool else None

    def ws_editor(self, ws: Workspace) -> User | None:
        return self.pick_user(ws.org, ws.editors())

    # ---- background -------------------------------------------------------------------------

    HUMAN_WEIGHTS: list[tuple[str, float]] = [
        ("User Login", 36),
        ("User Login Failed", 3.5),
        ("Agent Configuration Changed", 9),
        ("Agent Updated", 8),
        ("Agent Deployed", 9),
        ("Agent Stopped", 1.6),
        ("Agent Invoked", 8),
        ("Secret Accessed", 3),
        ("Agent Created", 0.35),
        ("Agent Deleted", 0.15),
        ("Secret Created", 0.7),
        ("Secret Rotated", 0.8),
        ("Secret Deleted", 0.1),
        ("Workspace API Key Created", 0.6),
        ("Integration Connected", 0.4),
        ("Integration Removed", 0.12),
        ("Workspace Updated", 0.5),
        ("Workspace Member Added", 0.8),
        ("Workspace Member Removed", 0.3),
        ("Role Changed", 0.45),
        ("MFA Enabled", 0.3),
        ("MFA Disabled", 0.05),
        ("Password Reset", 0.45),
        ("Audit Log Exported", 0.5),
        ("Organization Settings Updated", 0.25),
        ("SSO Configuration Updated", 0.06),
        ("Policy Updated", 0.35),
    ]
    TRAFFIC_WEIGHTS: list[tuple[str, float]] = [
        ("Agent Invoked", 62),
        ("Workspace API Key Used", 27),
        ("Secret Accessed", 9),
        ("Rate Limit Exceeded", 1.1),
    ]
    MACHINE_WEIGHTS: list[tuple[str, float]] = [
        ("Integration Synced", 34),
        ("Agent Invoked", 22),
        ("Integration Sync Failed", 3.0),
        ("System Error", 9),
        ("Performance Anomaly", 5),
        ("Secret Rotated", 1.6),
        ("Agent Stopped", 6),
    ]

    def schedule_background(self) -> None:
        streams = {
            "human": self.HUMAN_WEIGHTS,
            "traffic": self.TRAFFIC_WEIGHTS,
            "machine": self.MACHINE_WEIGHTS,
        }
        hours = list(range(START, END, HOUR))
        for stream, weights in streams.items():
            raw: list[tuple[int, Org, float]] = []
            for org in self.orgs:
                for h in hours:
                    if h < org.onboard_t:
                        continue
                    ramp = (
                        1.0
                        if org.onboard_t <= START
                        else min(1.0, 0.3 + (h - org.onboard_t) / (21 * DAY))
                    )
                    lam = org.share * intensity(stream, h + HOUR // 2, org.tz) * growth(h)
                    raw.append((h, org, lam * ramp))
            scale = BACKGROUND_TARGET[stream] / sum(lam for _, _, lam in raw)
            for h, org, lam in raw:
                for _ in range(poisson(lam * scale)):
                    t = h + rng.randrange(min(HOUR, END - h))
                    etype = weighted(weights)
                    self.at(t, self._slot(stream, org, etype))

    def _slot(self, stream: str, org: Org, etype: str) -> Callable[[int], None]:
        def run(t: int) -> None:
            handler = getattr(self, "h_" + etype.lower().replace(" ", "_"))
            if handler(t, org, stream) is False:
                fallback = {
                    "human": "User Login",
                    "traffic": "Agent Invoked",
                    "machine": "Integration Synced",
                }[stream]
                getattr(self, "h_" + fallback.lower().replace(" ", "_"))(t, org, stream)

        return run

    # ---- handlers: users ----------------------------------------------------------------------

    def login(self, t: int, user: User, method: str | None = None) -> None:
        org = user.org
        if method is None:
            method = (
                "saml"
                if org.sso["enforce_sso"]
                else rng.choice(["password", "password", "google", "saml"])
            )
        user.session = short_id("ses", 10)
        self.emit(
            t,
            "User Login",
            user.resource,
            org,
            None,
            user.actor,
            self.user_meta(t, user, auth_method=method, mfa=user.mfa, geo=self.geo(user)),
        )
        if rng.random() < 0.3:
            dur = int(lognorm(2.5 * HOUR, 0.8))
            session = user.session

            def logout(t2: int) -> None:
                if user.active and user.session == session:
                    self.emit(
                        t2,
                        "User Logout",
                        user.resource,
                        org,
                        None,
                        user.actor,
                        self.user_meta(t2, user, session_duration_s=dur // SEC),
                    )
                    user.session = None

            self.at(t + dur, logout)

    def h_user_login(self, t: int, org: Org, stream: str) -> bool:
        user = self.pick_user(org)
        if user is None:
            return False
        self.login(t, user)
        return True

    def h_user_login_failed(self, t: int, org: Org, stream: str) -> bool:
        user = self.pick_user(org)
        if user is None:
            return False
        reason = weighted(LOGIN_FAIL_REASONS)
        meta = self.user_meta(t, user, reason=reason, attempt=1, geo=self.geo(user))
        meta.pop("session_id", None)
        self.emit(t, "User Login Failed", user.resource, org, None, user.actor, meta)
        if rng.random() < 0.8:
            self.at(t + rng.randint(20 * SEC, 4 * MIN), lambda t2: self.login(t2, user))
        return True

    def h_mfa_enabled(self, t: int, org: Org, stream: str) -> bool:
        pool = [u for u in org.active_users() if not u.mfa]
        if not pool:
            return False
        user = rng.choice(pool)
        self.mfa_enable(t, user)
        return True

    def mfa_enable(self, t: int, user: User) -> None:
        user.mfa = True
        self.emit(
            t,
            "MFA Enabled",
            user.resource,
            user.org,
            None,
            user.actor,
            self.user_meta(t, user, method=rng.choice(["totp", "totp", "webauthn"])),
        )

    def h_mfa_disabled(self, t: int, org: Org, stream: str) -> bool:
        if org.settings["require_mfa"]:
            return False
        pool = [u for u in org.active_users() if u.mfa and u.role not in ("owner",)]
        if not pool:
            return False
        user = rng.choice(pool)
        user.mfa = False
        self.emit(
            t,
            "MFA Disabled",
            user.resource,
            org,
            None,
            user.actor,
            self.user_meta(t, user, method="totp", reason="lost device"),
        )
        self.at(
            t + rng.randint(1 * HOUR, 3 * DAY),
            lambda t2: self.mfa_enable(t2, user) if user.active else None,
        )
        return True

    def h_password_reset(self, t: int, org: Org, stream: str) -> bool:
        user = self.pick_user(org)
        if user is None:
            return False
        user.session = None
        self.emit(
            t,
            "Password Reset",
            user.resource,
            org,
            None,
            user.actor,
            self.user_meta(t, user, method="email_link"),
        )
        self.at(t + rng.randint(1 * MIN, 6 * MIN), lambda t2: self.login(t2, user, "password"))
        return True

    def h_role_changed(self, t: int, org: Org, stream: str) -> bool:
        admin = self.pick_user(org, org.admins())
        promos = {
            "viewer": ["developer", "operator"],
            "operator": ["developer", "admin"],
            "developer": ["admin", "operator"],
            "admin": ["developer"],
        }
        pool = [u for u in org.active_users() if u.role in promos and u is not admin]
        if admin is None or not pool:
            return False
        user = rng.choice(pool)
        self.change_role(t, admin, user, rng.choice(promos[user.role]))
        return True

    def change_role(self, t: int, admin: User, user: User, new: str) -> None:
        before = user.role
        user.role = new
        self.emit(
            t,
            "Role Changed",
            user.resource,
            user.org,
            None,
            admin.actor,
            self.user_meta(t, admin, changes={"before": {"role": before}, "after": {"role": new}}),
        )

    def invite(self, t: int, admin: User, user: User, batch_ws: list[Workspace]) -> None:
        inv = short_id("inv", 10)
        self.emit(
            t,
            "User Invited",
            user.resource,
            user.org,
            None,
            admin.actor,
            self.user_meta(
                t,
                admin,
                invitee_email=user.email,
                role=user.role,
                invitation_id=inv,
                expires_in_hours=72,
            ),
        )
        delay = int(lognorm(9 * HOUR, 1.0))
        delay = max(10 * MIN, min(delay, 70 * HOUR))

        def join(t2: int) -> None:
            user.active = True
            method = "saml" if user.org.sso["enforce_sso"] else rng.choice(["password", "google"])
            self.emit(
                t2,
                "User Joined",
                user.resource,
                user.org,
                None,
                user.actor,
                self.user_meta(t2, user, invitation_id=inv, auth_method=method),
            )
            for ws in batch_ws:
                if ws.alive and user not in ws.members:
                    ws.members.append(user)
            if not user.mfa and (user.org.settings["require_mfa"] or rng.random() < 0.6):
                self.at(t2 + rng.randint(2 * MIN, 40 * MIN), lambda t3: self.mfa_enable(t3, user))

        self.at(t + delay, join)

    def remove_user(self, t: int, admin: User, user: User) -> None:
        user.active = False
        user.session = None
        for ws in user.org.workspaces:
            if user in ws.members:
                ws.members.remove(user)
        self.emit(
            t,
            "User Removed",
            user.resource,
            user.org,
            None,
            admin.actor,
            self.user_meta(t, admin, reason="offboarding", sessions_revoked=rng.randint(1, 3)),
        )
        self.at(
            t + rng.randint(14 * HOUR, 40 * HOUR),
            lambda t2: self.emit(
                t2,
                "User Login Failed",
                user.resource,
                user.org,
                None,
                user.actor,
                {
                    "ip": user.home_ip,
                    "user_agent": user.browser(self.chrome_version(t2)),
                    "request_id": self.req(),
                    "reason": "account_deactivated",
                    "attempt": 1,
                    "geo": self.geo(user),
                },
            ),
        )

    def h_workspace_member_added(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        admin = self.pick_user(org, org.admins())
        if ws is None or admin is None:
            return False
        pool = [u for u in org.active_users() if u not in ws.members]
        if not pool:
            return False
        user = rng.choice(pool)
        ws.members.append(user)
        role = "viewer" if user.role == "viewer" else rng.choice(["editor", "editor", "viewer"])
        self.emit(
            t,
            "Workspace Member Added",
            user.resource,
            org,
            ws,
            admin.actor,
            self.user_meta(t, admin, workspace_role=role),
        )
        return True

    def h_workspace_member_removed(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        admin = self.pick_user(org, org.admins())
        if ws is None or admin is None:
            return False
        pool = [u for u in ws.members if u.role in ("developer", "operator", "viewer")]
        if len(pool) < 3:
            return False
        user = rng.choice(pool)
        ws.members.remove(user)
        self.emit(
            t,
            "Workspace Member Removed",
            user.resource,
            org,
            ws,
            admin.actor,
            self.user_meta(t, admin),
        )
        return True

    # ---- handlers: organization ---------------------------------------------------------------

    def h_organization_settings_updated(self, t: int, org: Org, stream: str) -> bool:
        admin = self.pick_user(org, org.admins())
        if admin is None:
            return False
        s = org.settings
        options: list[tuple[str, Any]] = [
            ("session_timeout_minutes", rng.choice([120, 240, 480, 720])),
            ("audit_log_retention_days", rng.choice([180, 365, 730])),
        ]
        if not s["require_mfa"]:
            options += [("require_mfa", True)] * 2
        options.append(("ip_allowlist_enabled", not s["ip_allowlist_enabled"]))
        fieldname, value = rng.choice(options)
        if s[fieldname] == value:
            return False
        self.org_setting(t, admin, {fieldname: value})
        return True

    def org_setting(self, t: int, admin: User, new: dict[str, Any]) -> None:
        org = admin.org
        before = {k: org.settings[k] for k in new}
        org.settings.update(new)
        self.emit(
            t,
            "Organization Settings Updated",
            {"type": "organization", "id": org.id, "name": org.name},
            org,
            None,
            admin.actor,
            self.user_meta(t, admin, changes={"before": before, "after": dict(new)}),
        )

    def h_sso_configuration_updated(self, t: int, org: Org, stream: str) -> bool:
        admin = self.pick_user(org, [u for u in org.users if u.role == "owner"] + org.admins())
        if admin is None:
            return False
        sso = org.sso
        if not sso["enforce_sso"] and rng.random() < 0.6:
            changes = {"before": {"enforce_sso": False}, "after": {"enforce_sso": True}}
            sso["enforce_sso"] = True
        else:
            old, new = f"{rng.getrandbits(32):08x}", f"{rng.getrandbits(32):08x}"
            changes = {
                "before": {"certificate_fingerprint": old},
                "after": {"certificate_fingerprint": new},
            }
        self.emit(
            t,
            "SSO Configuration Updated",
            {"type": "sso_connection", "id": sso["id"], "name": sso["name"]},
            org,
            None,
            admin.actor,
            self.user_meta(t, admin, changes=changes),
        )
        return True

    def h_policy_updated(self, t: int, org: Org, stream: str) -> bool:
        admin = self.pick_user(org, org.admins())
        if admin is None:
            return False
        pol = rng.choice(org.policies)
        before = pol["value"]
        if pol["field"] == "mode":
            after: Any = "block" if before == "mask" else "mask"
        elif pol["field"] == "threshold":
            after = round(min(0.95, max(0.5, before + rng.choice([-0.1, -0.05, 0.05, 0.1]))), 2)
        elif pol["field"] == "limit_usd":
            after = before + rng.choice([-1000, 1000, 2500, 5000]) if before > 1000 else 2500
        else:
            extra = [m for m in MODELS if m not in before]
            if extra and (len(before) < 3 or rng.random() < 0.6):
                after = sorted(before + [rng.choice(extra)])
            else:
                after = sorted(before[:-1])
        pol["value"] = after
        self.emit(
            t,
            "Policy Updated",
            {"type": "policy", "id": pol["id"], "name": pol["name"]},
            org,
            None,
            admin.actor,
            self.user_meta(
                t, admin, changes={"before": {pol["field"]: before}, "after": {pol["field"]: after}}
            ),
        )
        return True

    def h_audit_log_exported(self, t: int, org: Org, stream: str) -> bool:
        pool = [u for u in org.active_users() if u.role in ("owner", "admin", "security_admin")]
        user = self.pick_user(org, pool)
        if user is None:
            return False
        self.export(t, user, rng.choice([7, 30, 30, 90]), None)
        return True

    def export(self, t: int, user: User, days: int, filters: dict[str, Any] | None) -> None:
        meta = self.user_meta(
            t,
            user,
            format=rng.choice(["csv", "jsonl"]),
            range_days=days,
            event_count=int(days * rng.uniform(90, 140) * user.org.share * 2),
        )
        if filters:
            meta["filters"] = filters
            meta["event_count"] = rng.randint(60, 400)
        self.emit(
            t,
            "Audit Log Exported",
            {"type": "audit_log", "id": short_id("exp", 10), "name": "Audit log export"},
            user.org,
            None,
            user.actor,
            meta,
        )

    # ---- handlers: workspaces -----------------------------------------------------------------

    def h_workspace_updated(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        admin = self.pick_user(org, org.admins())
        if admin is None:
            return False
        fieldname = rng.choice(["default_model", "monthly_budget_usd", "monthly_budget_usd"])
        before = ws.settings[fieldname]
        if fieldname == "default_model":
            after: Any = rng.choice([m for m in MODELS if m != before])
        else:
            after = rng.choice([b for b in (500, 1000, 2000, 5000, 10000) if b != before])
        ws.settings[fieldname] = after
        self.emit(
            t,
            "Workspace Updated",
            {"type": "workspace", "id": ws.id, "name": ws.name},
            org,
            ws,
            admin.actor,
            self.user_meta(
                t, admin, changes={"before": {fieldname: before}, "after": {fieldname: after}}
            ),
        )
        return True

    def create_workspace(self, t: int, ws: Workspace, admin: User) -> None:
        org = ws.org
        ws.alive = True
        self.emit(
            t,
            "Workspace Created",
            {"type": "workspace", "id": ws.id, "name": ws.name},
            org,
            ws,
            admin.actor,
            self.user_meta(t, admin, environment=ws.env, region=org.aws_region),
        )
        ws.members.append(admin)
        # members join over the next hour
        others = [
            u
            for u in org.users
            if u.active
            and u is not admin
            and (u.role in ("admin", "security_admin", "owner") or rng.random() < 0.3)
        ]
        tt = t
        for u in others[:6]:
            tt += rng.randint(1 * MIN, 9 * MIN)
            self.at(tt, lambda t2, u=u: self.add_member(t2, ws, admin, u))
        # secrets and integrations the same day, agents over the next days
        tt = t + rng.randint(15 * MIN, 50 * MIN)
        for s in ws.secrets:
            tt += rng.randint(1 * MIN, 6 * MIN)
            self.at(tt, lambda t2, s=s: self.create_secret(t2, s, admin))
        for i in ws.integrations:
            tt += rng.randint(3 * MIN, 40 * MIN)
            self.at(tt, lambda t2, i=i: self.connect_integration(t2, i, admin))
        for k in ws.keys:
            tt += rng.randint(5 * MIN, 90 * MIN)
            self.at(tt, lambda t2, k=k: self.create_key(t2, k, admin))
        for a in ws.agents:
            tt += rng.randint(2 * HOUR, 30 * HOUR)
            self.at(tt, lambda t2, a=a: self.create_agent(t2, a, None))

    def add_member(self, t: int, ws: Workspace, admin: User, user: User) -> None:
        if user in ws.members or not user.active:
            return
        ws.members.append(user)
        self.emit(
            t,
            "Workspace Member Added",
            user.resource,
            ws.org,
            ws,
            admin.actor,
            self.user_meta(
                t, admin, workspace_role="viewer" if user.role == "viewer" else "editor"
            ),
        )

    # ---- handlers: API keys -------------------------------------------------------------------

    def create_key(self, t: int, key: ApiKey, user: User, expires: int | None = 90) -> None:
        key.alive = True
        if key not in key.ws.keys:
            key.ws.keys.append(key)
        self.emit(
            t,
            "Workspace API Key Created",
            key.resource,
            key.ws.org,
            key.ws,
            user.actor,
            self.user_meta(
                t, user, key_prefix=key.prefix, scopes=KEY_SCOPES[key.kind], expires_in_days=expires
            ),
        )

    def revoke_key(self, t: int, key: ApiKey, user: User, reason: str, **extra: Any) -> None:
        key.alive = False
        self.emit(
            t,
            "Workspace API Key Revoked",
            key.resource,
            key.ws.org,
            key.ws,
            user.actor,
            self.user_meta(t, user, key_prefix=key.prefix, reason=reason, **extra),
        )

    def h_workspace_api_key_created(self, t: int, org: Org, stream: str) -> bool:
        """A key rotation: a new key with the same name, the old one revoked a bit later."""
        ws = self.pick_ws(org)
        if ws is None:
            return False
        old_keys = ws.live_keys()
        user = self.pick_user(org, [u for u in ws.editors() if u.role != "operator"])
        if not old_keys or user is None:
            return False
        old = rng.choice(old_keys)
        new = self.new_key(ws, old.name, old.kind, alive=False)
        new.ips, new.ua = old.ips, old.ua
        self.create_key(t, new, user)

        def revoke_old(t2: int) -> None:
            who = user if user.active else self.pick_user(org, org.admins())
            if old.alive and who is not None:
                self.revoke_key(t2, old, who, "rotated")

        self.at(t + rng.randint(20 * MIN, 2 * DAY), revoke_old)
        return True

    def h_workspace_api_key_used(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        keys = ws.live_keys()
        if not keys:
            return False
        key = weighted([(k, 3 if k.kind == "service" else 1) for k in keys])
        endpoint = weighted(KEY_ENDPOINTS[key.kind])
        status = weighted(
            [
                (200, 95),
                (201, 3 if endpoint.startswith("POST") else 0),
                (404, 1.5),
                (422, 0.8),
                (403, 0.4),
            ]
        )
        self.emit(
            t,
            "Workspace API Key Used",
            key.resource,
            org,
            ws,
            key.actor,
            self.key_meta(
                key,
                key_prefix=key.prefix,
                endpoint=endpoint,
                http_status=status,
                duration_ms=int(lognorm(140, 0.7)),
            ),
        )
        return True

    def h_rate_limit_exceeded(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        keys = ws.live_keys("service")
        if not keys:
            return False
        key = rng.choice(keys)
        self.rate_limited(t, key, rng.choice(key.ips), key.ua)
        return True

    def rate_limited(
        self, t: int, key: ApiKey, ip: str, ua: str, observed: int | None = None, **extra: Any
    ) -> None:
        limit = {"production": 600, "staging": 120, "development": 60}[key.ws.env]
        observed = observed or int(limit * rng.uniform(1.05, 1.6))
        self.emit(
            t,
            "Rate Limit Exceeded",
            key.resource,
            key.ws.org,
            key.ws,
            key.actor,
            {
                "ip": ip,
                "user_agent": ua,
                "request_id": self.req(),
                "endpoint": "POST /v1/agents/{agent_id}/invoke",
                "limit": limit,
                "window_s": 60,
                "observed": observed,
                "retry_after_s": rng.randint(5, 50),
                **extra,
            },
        )

    # ---- handlers: secrets --------------------------------------------------------------------

    def create_secret(self, t: int, secret: Secret, user: User) -> None:
        secret.alive = True
        if secret not in secret.ws.secrets:
            secret.ws.secrets.append(secret)
        self.emit(
            t,
            "Secret Created",
            secret.resource,
            secret.ws.org,
            secret.ws,
            user.actor,
            self.user_meta(t, user, secret_version=secret.version),
        )

    def h_secret_created(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        user = ws and self.ws_editor(ws)
        if not ws or not user:
            return False
        names = [
            "WEBHOOK_SIGNING_SECRET",
            "SENDGRID_API_KEY",
            "TWILIO_AUTH_TOKEN",
            "PINECONE_API_KEY",
            "COHERE_API_KEY",
            "SERPAPI_KEY",
            "REDIS_URL",
            "S3_ACCESS_KEY_ID",
            "GITHUB_APP_PRIVATE_KEY",
        ]
        have = {s.name for s in ws.secrets if s.alive}
        options = [n for n in names if n not in have]
        if not options:
            return False
        self.create_secret(t, Secret(ws, short_id("sec", 10), rng.choice(options)), user)
        return True

    def rotate_secret(
        self,
        t: int,
        secret: Secret,
        actor: dict[str, Any],
        meta: dict[str, Any],
        rotation: str,
        **extra: Any,
    ) -> None:
        before = secret.version
        secret.version += 1
        meta.update(rotation=rotation, previous_version=before, new_version=secret.version, **extra)
        self.emit(t, "Secret Rotated", secret.resource, secret.ws.org, secret.ws, actor, meta)

    def h_secret_rotated(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        secrets = [s for s in ws.secrets if s.alive]
        if not secrets:
            return False
        secret = rng.choice(secrets)
        if stream == "machine":
            self.rotate_secret(
                t,
                secret,
                self.systems["secret-rotator"].actor,
                self.sys_meta("secret-rotator"),
                "scheduled",
            )
        else:
            user = self.ws_editor(ws)
            if user is None:
                return False
            self.rotate_secret(t, secret, user.actor, self.user_meta(t, user), "manual")
        return True

    def h_secret_accessed(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        secrets = [s for s in ws.secrets if s.alive]
        if not secrets:
            return False
        secret = rng.choice(secrets)
        if stream == "human":
            user = self.ws_editor(ws)
            if user is None:
                return False
            actor, meta = user.actor, self.user_meta(t, user, purpose="revealed in console")
        elif rng.random() < 0.55:
            keys = ws.live_keys("iac") + ws.live_keys("ci")
            if not keys:
                return False
            key = rng.choice(keys)
            actor, meta = key.actor, self.key_meta(key, purpose="api read")
        else:
            actor = self.systems["deploy-bot"].actor
            meta = self.sys_meta("deploy-bot", purpose="injected into agent runtime")
        meta["secret_version"] = secret.version
        self.emit(t, "Secret Accessed", secret.resource, org, ws, actor, meta)
        return True

    def h_secret_deleted(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        secrets = [s for s in ws.secrets if s.alive]
        user = self.ws_editor(ws)
        if len(secrets) < 3 or user is None:
            return False
        secret = rng.choice(secrets)
        secret.alive = False
        self.emit(
            t,
            "Secret Deleted",
            secret.resource,
            org,
            ws,
            user.actor,
            self.user_meta(t, user, secret_version=secret.version),
        )
        return True

    # ---- handlers: integrations ---------------------------------------------------------------

    def connect_integration(
        self, t: int, integ: Integration, user: User, reconnect: bool = False
    ) -> None:
        integ.alive = True
        integ.broken = False
        if integ not in integ.ws.integrations:
            integ.ws.integrations.append(integ)
        meta = self.user_meta(
            t, user, provider=integ.slug, auth="oauth", scopes=PROVIDER_SCOPES[integ.slug]
        )
        if reconnect:
            meta["reconnect"] = True
        self.emit(
            t, "Integration Connected", integ.resource, integ.ws.org, integ.ws, user.actor, meta
        )

    def h_integration_connected(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        user = ws and self.ws_editor(ws)
        if not ws or not user:
            return False
        have = {i.name for i in ws.integrations if i.alive}
        options = [p for p in PROVIDER_SLUG if p not in have]
        if not options:
            return False
        self.connect_integration(t, Integration(ws, short_id("int", 10), rng.choice(options)), user)
        return True

    def h_integration_removed(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        user = ws and self.ws_editor(ws)
        if not ws or not user:
            return False
        live = [i for i in ws.integrations if i.alive]
        if len(live) < 2:
            return False
        integ = rng.choice(live)
        integ.alive = False
        self.emit(
            t,
            "Integration Removed",
            integ.resource,
            org,
            ws,
            user.actor,
            self.user_meta(
                t,
                user,
                provider=integ.slug,
                reason=rng.choice(
                    ["no longer used", "replaced", "reconnect with a service account"]
                ),
            ),
        )
        return True

    def h_integration_synced(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        live = [i for i in ws.integrations if i.alive]
        if not live:
            return False
        integ = rng.choice(live)
        if integ.broken:
            self.sync_failed(t, integ, "AUTH_EXPIRED")
            return True
        self.emit(
            t,
            "Integration Synced",
            integ.resource,
            org,
            ws,
            self.systems["sync-worker"].actor,
            self.sys_meta(
                "sync-worker",
                provider=integ.slug,
                records_synced=int(lognorm(140, 1.2)),
                duration_ms=int(lognorm(3800, 0.6)),
            ),
        )
        return True

    def sync_failed(self, t: int, integ: Integration, code: str | None = None) -> None:
        err = next((e for e in SYNC_ERRORS if e[0] == code), None) or rng.choice(SYNC_ERRORS)
        ws = integ.ws
        self.emit(
            t,
            "Integration Sync Failed",
            integ.resource,
            ws.org,
            ws,
            self.systems["sync-worker"].actor,
            self.sys_meta(
                "sync-worker",
                provider=integ.slug,
                error_code=err[0],
                message=err[1],
                http_status=err[2],
                duration_ms=int(lognorm(60000 if err[0] == "TIMEOUT" else 900, 0.3)),
                retry_in_s=rng.choice([60, 300, 900]),
            ),
        )
        if err[0] == "AUTH_EXPIRED" and not integ.broken:
            integ.broken = True

            def fix(t2: int) -> None:
                user = self.ws_editor(ws)
                if integ.alive and integ.broken and user is not None:
                    self.connect_integration(t2, integ, user, reconnect=True)

            self.at(t + int(lognorm(10 * HOUR, 0.7)), fix)

    def h_integration_sync_failed(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        live = [i for i in ws.integrations if i.alive]
        if not live:
            return False
        self.sync_failed(t, rng.choice(live))
        return True

    # ---- handlers: agents ---------------------------------------------------------------------

    def invoke_meta(
        self, t: int, agent: Agent, base: dict[str, Any], channel: str
    ) -> dict[str, Any]:
        model = agent.config["model"]
        tin = int(lognorm(1400, 0.7))
        tout = min(agent.config["max_tokens"], int(lognorm(260, 0.7)))
        dur = int(250 + tout * MODEL_SPEED[model] * rng.uniform(0.7, 1.5) + lognorm(300, 0.5))
        pin, pout = MODEL_PRICE[model]
        base["run_id"] = short_id("run", 12)
        failing = agent.failing_until > t or any(
            o is agent.ws.org and a <= t <= b for o, a, b in self.incidents
        )
        if failing and rng.random() < 0.55:
            base.update(
                channel=channel,
                model=model,
                input_tokens=tin,
                output_tokens=0,
                duration_ms=int(dur * rng.uniform(2, 6)),
                status="error",
                error_code=rng.choice(["UPSTREAM_TIMEOUT", "TOOL_EXECUTION_FAILED"]),
            )
        elif rng.random() < 0.018:
            code = rng.choice(["AGENT_TIMEOUT", "TOOL_EXECUTION_FAILED", "UPSTREAM_MODEL_ERROR"])
            base.update(
                channel=channel,
                model=model,
                input_tokens=tin,
                output_tokens=0,
                duration_ms=dur,
                status="error",
                error_code=code,
            )
        else:
            base.update(
                channel=channel,
                model=model,
                input_tokens=tin,
                output_tokens=tout,
                duration_ms=dur,
                status="success",
            )
        base["cost_usd"] = round((tin * pin + base["output_tokens"] * pout) / 1e6, 5)
        return base

    def h_agent_invoked(self, t: int, org: Org, stream: str) -> bool:
        if stream == "machine":
            pool = [a for w in org.live_workspaces() for a in w.running_agents() if a.scheduled]
            if not pool:
                return False
            agent = rng.choice(pool)
            s = self.systems["scheduler"]
            meta = self.invoke_meta(t, agent, self.sys_meta("scheduler"), "schedule")
            self.emit(t, "Agent Invoked", agent.resource, org, agent.ws, s.actor, meta)
            return True
        ws = self.pick_ws(org)
        if ws is None:
            return False
        agent = self.pick_agent(ws)
        if agent is None:
            return False
        if stream == "human":
            user = self.ws_editor(ws)
            if user is None:
                return False
            meta = self.invoke_meta(t, agent, self.user_meta(t, user), "playground")
            self.emit(t, "Agent Invoked", agent.resource, org, ws, user.actor, meta)
            return True
        keys = ws.live_keys("service")
        if not keys:
            return False
        key = rng.choice(keys)
        meta = self.invoke_meta(t, agent, self.key_meta(key), "api")
        self.emit(t, "Agent Invoked", agent.resource, org, ws, key.actor, meta)
        return True

    def create_agent(self, t: int, agent: Agent, user: User | None) -> None:
        ws = agent.ws
        user = user or self.ws_editor(ws) or self.pick_user(ws.org, ws.org.admins())
        if user is None:
            return
        agent.alive = True
        agent.running = False
        if agent not in ws.agents:
            ws.agents.append(agent)
        cfg = agent.config
        self.emit(
            t,
            "Agent Created",
            agent.resource,
            ws.org,
            ws,
            user.actor,
            self.user_meta(
                t,
                user,
                template=rng.choice(["blank", "blank", "rag-qa", "support-triage", "data-analyst"]),
                config={
                    "model": cfg["model"],
                    "temperature": cfg["temperature"],
                    "tools": cfg["tools"],
                },
            ),
        )
        tt = t + rng.randint(5 * MIN, 50 * MIN)
        self.at(tt, lambda t2: self.config_change(t2, agent, user))
        tt += rng.randint(30 * MIN, 20 * HOUR)
        self.at(tt, lambda t2: self.deploy(t2, agent, first=True))

    def h_agent_created(self, t: int, org: Org, stream: str) -> bool:
        wss = [w for w in org.live_workspaces() if w.reserve]
        if not wss:
            return False
        ws = rng.choice(wss)
        user = self.ws_editor(ws)
        if user is None:
            return False
        agent = self.new_agent(ws, ws.reserve.pop(0), initial=False)
        self.create_agent(t, agent, user)
        return True

    def h_agent_deleted(self, t: int, org: Org, stream: str) -> bool:
        wss = [w for w in org.live_workspaces() if len(w.live_agents()) > 2]
        if not wss:
            return False
        ws = weighted([(w, 3 if w.env != "production" else 1) for w in wss])
        pool = [a for a in ws.live_agents() if not a.protected]
        user = self.ws_editor(ws)
        if not pool or user is None:
            return False
        agent = rng.choice(pool)
        agent.alive = False
        self.emit(
            t,
            "Agent Deleted",
            agent.resource,
            org,
            ws,
            user.actor,
            self.user_meta(
                t,
                user,
                version=fmt_version(agent.version),
                reason=rng.choice(["superseded", "experiment finished", "no longer used"]),
            ),
        )
        return True

    def config_change(
        self, t: int, agent: Agent, actor_user: User | None = None, key: ApiKey | None = None
    ) -> None:
        cfg = agent.config
        fieldname = weighted(
            [
                ("temperature", 4),
                ("max_tokens", 3),
                ("model", 2),
                ("tools", 3),
                ("timeout_s", 1.5),
                ("memory_enabled", 1),
                ("retrieval_top_k", 1.5),
            ]
        )
        before = cfg[fieldname]
        if fieldname == "temperature":
            after: Any = rng.choice([v for v in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7) if v != before])
        elif fieldname == "max_tokens":
            after = rng.choice([v for v in (512, 1024, 2048, 4096, 8192) if v != before])
        elif fieldname == "model":
            after = rng.choice([m for m in MODELS if m != before])
        elif fieldname == "tools":
            extra = [x for x in TOOLS if x not in before]
            if len(before) > 1 and (rng.random() < 0.35 or not extra):
                dropped = rng.choice(before)
                after = sorted(x for x in before if x != dropped)
            else:
                after = sorted(before + [rng.choice(extra)])
        elif fieldname == "timeout_s":
            after = rng.choice([v for v in (30, 60, 90, 120, 300) if v != before])
        elif fieldname == "memory_enabled":
            after = not before
        else:
            after = rng.choice([v for v in (3, 5, 8, 10, 20) if v != before])
        cfg[fieldname] = after
        changes = {"before": {fieldname: before}, "after": {fieldname: after}}
        if key is not None:
            meta = self.key_meta(key, changes=changes)
            actor = key.actor
        else:
            assert actor_user is not None
            meta = self.user_meta(
                t, actor_user, cli=actor_user.uses_cli and rng.random() < 0.5, changes=changes
            )
            actor = actor_user.actor
        self.emit(
            t, "Agent Configuration Changed", agent.resource, agent.ws.org, agent.ws, actor, meta
        )

    def h_agent_configuration_changed(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        agent = self.pick_agent(ws, running=False)
        if agent is None:
            return False
        iac = ws.live_keys("iac")
        if iac and rng.random() < 0.25:
            self.config_change(t, agent, key=rng.choice(iac))
            return True
        user = self.ws_editor(ws)
        if user is None:
            return False
        self.config_change(t, agent, user)
        return True

    def h_agent_updated(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        agent = self.pick_agent(ws, running=False)
        user = self.ws_editor(ws)
        if agent is None or user is None:
            return False
        what = weighted([("instructions_revision", 6), ("description", 1.5), ("tags", 1.5)])
        if what == "instructions_revision":
            changes = {
                "before": {"instructions_revision": agent.revision},
                "after": {"instructions_revision": agent.revision + 1},
            }
            agent.revision += 1
            extra: dict[str, Any] = {"diff": f"+{rng.randint(1, 40)} -{rng.randint(0, 25)} lines"}
        elif what == "description":
            new = rng.choice([d for d in AGENT_DESCRIPTIONS if d != agent.description])
            changes = {"before": {"description": agent.description}, "after": {"description": new}}
            agent.description = new
            extra = {}
        else:
            tags = list(agent.tags)
            extra_tags = [x for x in AGENT_TAGS if x not in tags]
            if tags and (rng.random() < 0.4 or not extra_tags):
                tags.remove(rng.choice(tags))
            else:
                tags = sorted(tags + [rng.choice(extra_tags)])
            changes = {"before": {"tags": agent.tags}, "after": {"tags": tags}}
            agent.tags = tags
            extra = {}
        self.emit(
            t,
            "Agent Updated",
            agent.resource,
            org,
            ws,
            user.actor,
            self.user_meta(t, user, **extra, changes=changes),
        )
        return True

    def deploy(
        self,
        t: int,
        agent: Agent,
        first: bool = False,
        version: tuple[int, int, int] | None = None,
        user: User | None = None,
        via: str | None = None,
        fail: bool | None = None,
    ) -> tuple[int, int, int] | None:
        """An ``Agent Deployed`` (or a ``Deployment Failed``) for the next version."""
        if not agent.alive or (first and agent.deployed):
            return None
        first = first or not agent.deployed
        ws = agent.ws
        org = ws.org
        new = version or ((0, 1, 0) if first else bump(agent.version))
        prev = None if first else agent.version
        env = ws.env
        dep = short_id("dep", 10)
        commit = hexsha()
        via = via or weighted(
            [("deploy-bot", 5), ("ci", 3 if ws.live_keys("ci") else 0), ("user", 2)]
        )
        triggered = user or self.ws_editor(ws)
        if via == "user" and triggered is None:
            via = "deploy-bot"
        if via == "deploy-bot":
            actor = self.systems["deploy-bot"].actor
            meta = self.sys_meta("deploy-bot")
            if triggered is not None:
                meta["triggered_by"] = triggered.email
        elif via == "ci":
            key = rng.choice(ws.live_keys("ci"))
            actor, meta = key.actor, self.key_meta(key)
        else:
            assert triggered is not None
            actor = triggered.actor
            meta = self.user_meta(t, triggered, cli=triggered.uses_cli)
        auto = fail is None
        if fail is None:
            fail = not first and rng.random() < 0.06
        if fail:
            code, msg = rng.choice(
                [
                    ("IMAGE_BUILD_FAILED", "Build step 'pip install' exited with code 1"),
                    (
                        "CONFIG_VALIDATION_ERROR",
                        "Tool schema 'lookup' is missing a 'parameters' field",
                    ),
                    ("HEALTHCHECK_FAILED", "Readiness probe failed on 2/3 replicas"),
                    ("TIMEOUT", "Rollout did not complete within 600s"),
                ]
            )
            meta.update(
                version=fmt_version(new),
                environment=env,
                deployment_id=dep,
                commit=commit,
                error_code=code,
                message=msg,
                duration_ms=int(lognorm(95000, 0.5)),
            )
            self.emit(t, "Deployment Failed", agent.resource, org, ws, actor, meta)
            # a fixed version goes out a bit later
            self.at(
                t + int(lognorm(70 * MIN, 0.6)),
                lambda t2: self.deploy(t2, agent, version=(new[0], new[1], new[2] + 1), fail=False),
            )
            return None
        meta.update(
            version=fmt_version(new),
            previous_version=fmt_version(prev) if prev else None,
            environment=env,
            deployment_id=dep,
            commit=commit,
            strategy="rolling" if env == "production" else "recreate",
            duration_ms=int(lognorm(80000, 0.4)),
        )
        self.emit(t, "Agent Deployed", agent.resource, org, ws, actor, meta)
        agent.deployed = True
        if prev is not None:
            agent.history.append(prev)
        agent.version = new
        if first or not agent.running:
            agent.running = True
            self.emit(
                t + rng.randint(20 * SEC, 90 * SEC),
                "Agent Started",
                agent.resource,
                org,
                ws,
                self.systems["deploy-bot"].actor,
                self.sys_meta(
                    "deploy-bot",
                    environment=env,
                    reason="deployment",
                    replicas=2 if env == "production" else 1,
                ),
            )
        elif auto and prev is not None and rng.random() < 0.02:
            self.bad_release(t, agent, new, prev, small=True)
        return new

    def bad_release(
        self,
        t: int,
        agent: Agent,
        bad: tuple[int, int, int],
        good: tuple[int, int, int],
        small: bool,
    ) -> None:
        """A deployment that broke: errors, then a rollback by an on-call human."""
        ws = agent.ws
        n = rng.randint(3, 6) if small else 0
        tt = t
        for _ in range(n):
            tt += rng.randint(40 * SEC, 4 * MIN)
            err = rng.choice(SYSTEM_ERRORS[:3])
            self.at(tt, lambda t2, err=err: self.system_error(t2, agent, err))
        agent.failing_until = tt + 5 * MIN

        def rollback(t2: int) -> None:
            user = self.pick_user(ws.org, [u for u in ws.editors() if u.role != "viewer"])
            if user is None or agent.version != bad:
                return
            self.rollback(t2, agent, user, "error rate above threshold after deploy")

        self.at(tt + rng.randint(3 * MIN, 12 * MIN), rollback)

    def rollback(self, t: int, agent: Agent, user: User, reason: str) -> None:
        to = agent.history.pop() if agent.history else agent.version
        self.emit(
            t,
            "Agent Rolled Back",
            agent.resource,
            agent.ws.org,
            agent.ws,
            user.actor,
            self.user_meta(
                t,
                user,
                cli=user.uses_cli,
                from_version=fmt_version(agent.version),
                to_version=fmt_version(to),
                environment=agent.ws.env,
                deployment_id=short_id("dep", 10),
                reason=reason,
            ),
        )
        agent.version = to
        agent.failing_until = t + 2 * MIN

    def h_agent_deployed(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        agent = self.pick_agent(ws, running=False)
        if agent is None or agent.protected and agent.failing_until > t - DAY:
            return False
        self.deploy(t, agent)
        return True

    def h_agent_stopped(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        if stream == "machine":
            pool = [a for a in ws.running_agents() if ws.env != "production" or a.popularity < 0.6]
            if not pool:
                return False
            agent = rng.choice(pool)
            sysname = "scheduler"
            actor = self.systems[sysname].actor
            meta = self.sys_meta(
                sysname,
                environment=ws.env,
                reason="idle for 60 minutes, scaled to zero",
                replicas=0,
            )
            restart_after = int(lognorm(5 * HOUR, 1.0))
            restart_meta = ("scheduler", "cold start on incoming request")
        else:
            agent = self.pick_agent(ws)
            user = self.ws_editor(ws)
            if agent is None or user is None or agent.protected:
                return False
            actor = user.actor
            meta = self.user_meta(
                t,
                user,
                environment=ws.env,
                reason=rng.choice(["manual", "maintenance", "investigating errors"]),
                replicas=0,
            )
            restart_after = int(lognorm(50 * MIN, 1.0))
            restart_meta = ("user", "manual")
        agent.running = False
        self.emit(t, "Agent Stopped", agent.resource, org, ws, actor, meta)

        def restart(t2: int) -> None:
            if not agent.alive or agent.running:
                return
            agent.running = True
            replicas = 2 if ws.env == "production" else 1
            if restart_meta[0] == "user":
                u = self.ws_editor(ws)
                if u is None:
                    return
                self.emit(
                    t2,
                    "Agent Started",
                    agent.resource,
                    org,
                    ws,
                    u.actor,
                    self.user_meta(
                        t2, u, environment=ws.env, reason=restart_meta[1], replicas=replicas
                    ),
                )
            else:
                self.emit(
                    t2,
                    "Agent Started",
                    agent.resource,
                    org,
                    ws,
                    self.systems["scheduler"].actor,
                    self.sys_meta(
                        "scheduler", environment=ws.env, reason=restart_meta[1], replicas=replicas
                    ),
                )

        self.at(t + max(2 * MIN, restart_after), restart)
        return True

    # ---- handlers: system -------------------------------------------------------------------

    def system_error(
        self,
        t: int,
        agent: Agent,
        err: tuple[str, str, int, str, int],
        actor_name: str | None = None,
        **extra: Any,
    ) -> None:
        code, msg, status, component, dur = err
        if "{tool}" in msg:
            msg = msg.format(tool=rng.choice(agent.config["tools"]))
        actor_name = actor_name or (
            "api-gateway" if component == "model-gateway" else "health-monitor"
        )
        self.emit(
            t,
            "System Error",
            agent.resource,
            agent.ws.org,
            agent.ws,
            self.systems[actor_name].actor,
            self.sys_meta(
                actor_name,
                error_code=code,
                message=msg,
                http_status=status,
                component=component,
                duration_ms=int(lognorm(dur, 0.3)),
                retryable=status >= 500 or status == 429,
                **extra,
            ),
        )

    def h_system_error(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        agent = self.pick_agent(ws, running=False)
        if agent is None:
            return False
        err = weighted(
            [(e, w) for e, w in zip(SYSTEM_ERRORS, [4, 4, 4, 1, 2, 1.5, 2], strict=True)]
        )
        self.system_error(t, agent, err)
        return True

    def anomaly(
        self,
        t: int,
        agent: Agent,
        metric: str,
        severity: str | None = None,
        factor: float | None = None,
        observed: float | None = None,
        **extra: Any,
    ) -> None:
        baselines = {
            "p95_latency_ms": 1200.0,
            "error_rate_pct": 0.6,
            "queue_depth": 12.0,
            "tokens_per_min": 18000.0,
        }
        base = baselines[metric] * rng.uniform(0.7, 1.4)
        if observed is not None:
            factor = observed / base
        factor = factor or rng.uniform(2.2, 5.0)
        observed = base * factor
        rnd = 1 if metric == "error_rate_pct" else 0
        threshold = base * 2
        meta = self.sys_meta(
            "health-monitor",
            metric=metric,
            observed=round(observed, rnd) if rnd else int(observed),
            baseline=round(base, rnd) if rnd else int(base),
            threshold=round(threshold, rnd) if rnd else int(threshold),
            window="5m",
            severity=severity or ("critical" if factor > 4 else "warning"),
            **extra,
        )
        self.emit(
            t,
            "Performance Anomaly",
            agent.resource,
            agent.ws.org,
            agent.ws,
            self.systems["health-monitor"].actor,
            meta,
        )

    def h_performance_anomaly(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        agent = self.pick_agent(ws)
        if agent is None:
            return False
        metric = weighted(
            [
                ("p95_latency_ms", 5),
                ("error_rate_pct", 2),
                ("queue_depth", 1.5),
                ("tokens_per_min", 1.5),
            ]
        )
        self.anomaly(t, agent, metric)
        return True

    # ---- planned: lifecycle -----------------------------------------------------------------

    def schedule_lifecycle(self) -> None:
        acme, globex, initech = self.org("acme"), self.org("globex"), self.org("initech")

        # Workspaces created inside the window (Initech's two first ones at onboarding).
        for org in self.orgs:
            for ws in org.workspaces:
                if ws.created_days_ago is None:
                    continue
                days = ws.created_days_ago
                onboarding = days == INITECH_ONBOARD_DAYS
                t0 = self.day_at(
                    org, days, 9 if onboarding else 10, 40 if onboarding else rng.randint(0, 50)
                )
                owner = next(u for u in org.users if u.role == "owner")
                creator = (
                    owner
                    if org is initech
                    else (
                        self.user(org, "Marcus Webb")
                        if org is acme
                        else self.user(org, "Katrin Vogel")
                    )
                )
                self.at(
                    t0 + (10 * MIN if ws.name == "Internal Tools" else 0),
                    lambda t, ws=ws, c=creator: self.create_workspace(t, ws, c),
                )

        # Initech onboarding: owner logs in, configures the org, invites people in batches.
        owner = self.user(initech, "Bill Lumbergh")
        t0 = initech.onboard_t

        def onboard(t: int) -> None:
            owner.active = True
            self.login(t, owner, "password")

        self.at(t0 + self.j(5 * MIN), onboard)
        self.at(
            t0 + self.j(25 * MIN),
            lambda t: self.org_setting(
                t, owner, {"require_mfa": True, "session_timeout_minutes": 240}
            ),
        )
        self.at(t0 + 2 * HOUR, lambda t: self.mfa_enable(t, owner))
        invitees = [u for u in initech.users if u is not owner]
        batch1, batch2 = invitees[:7], invitees[7:]
        wss = [w for w in initech.workspaces if w.created_days_ago == INITECH_ONBOARD_DAYS]
        tt = t0 + 3 * HOUR
        for u in batch1:
            tt += rng.randint(30 * SEC, 3 * MIN)
            self.at(tt, lambda t, u=u: self.invite(t, owner, u, wss))
        self.at(
            self.day_at(initech, 101, 15, 5),
            lambda t: self.h_sso_configuration_updated(t, initech, "human"),
        )
        tt = self.day_at(initech, 80, 10, 20)
        samir = self.user(initech, "Samir Nagheenanajar")
        for u in batch2[:-1]:
            tt += rng.randint(1 * MIN, 5 * MIN)
            self.at(tt, lambda t, u=u: self.invite(t, samir, u, wss))
        self.at(self.day_at(initech, 35, 11, 2), lambda t: self.invite(t, samir, batch2[-1], wss))

        # Hires and departures at Acme and Globex: the last few people of each list start
        # inactive and are invited during the window.
        for org, admin_name, hires, leavers in (
            (acme, "Marcus Webb", [90, 52, 23], [63]),
            (globex, "Katrin Vogel", [70, 15], [35]),
        ):
            admin = self.user(org, admin_name)
            new_people = org.users[-len(hires) :]
            for u, days in zip(new_people, hires, strict=True):
                u.active = False
                for ws in org.workspaces:
                    if u in ws.members:
                        ws.members.remove(u)
                targets = [w for w in org.workspaces if w.env == "production"][:2]
                self.at(
                    self.day_at(org, days, 10, rng.randint(0, 59)),
                    lambda t, u=u, a=admin, ws=targets: self.invite(t, a, u, ws),
                )
            for days in leavers:
                candidates = [u for u in org.users[5 : -len(hires)] if u.role == "developer"]
                leaver = rng.choice(candidates)
                self.at(
                    self.day_at(org, days, 16, rng.randint(0, 59)),
                    lambda t, a=admin, u=leaver: self.remove_user(t, a, u),
                )

        # Acme turns on required MFA mid-window; Globex enforces SSO.
        self.at(
            self.day_at(acme, 78, 11, 14),
            lambda t: self.org_setting(t, self.user(acme, "Dana Whitfield"), {"require_mfa": True}),
        )

        def enforce_sso(t: int) -> None:
            admin = self.user(globex, "Hank Scorpio")
            globex.sso["enforce_sso"] = True
            self.emit(
                t,
                "SSO Configuration Updated",
                {"type": "sso_connection", "id": globex.sso["id"], "name": globex.sso["name"]},
                globex,
                None,
                admin.actor,
                self.user_meta(
                    t,
                    admin,
                    changes={"before": {"enforce_sso": False}, "after": {"enforce_sso": True}},
                ),
            )

        self.at(self.day_at(globex, 49, 9, 31), enforce_sso)

    # ---- planned: stories ---------------------------------------------------------------------

    def story_leaked_key(self) -> None:
        """(a) A developer creates a long-lived key in Production; it leaks and is abused."""
        acme = self.org("acme")
        ws = next(w for w in acme.workspaces if w.name == "Production")
        tom = self.user(acme, "Tom Becker")
        priya = self.user(acme, "Priya Raman")
        key = self.new_key(ws, "tom-local-testing", "service", alive=False)
        key.ips = [tom.home_ip]
        key.ua = "python-httpx/0.27.0"
        t_created = self.day_at(acme, 6, 14, 22)

        def created(t: int) -> None:
            key.alive = True
            self.emit(
                t,
                "Workspace API Key Created",
                key.resource,
                acme,
                ws,
                tom.actor,
                self.user_meta(
                    t,
                    tom,
                    key_prefix=key.prefix,
                    scopes=["agents:invoke", "agents:read", "secrets:read"],
                    expires_in_days=None,
                ),
            )

        self.at(t_created, created)
        # legitimate use from Tom's machine over the next day and a half
        tt = t_created
        for _ in range(8):
            tt += int(lognorm(2.5 * HOUR, 0.8))
            if rng.random() < 0.5:
                self.at(
                    tt,
                    lambda t: self.emit(
                        t,
                        "Workspace API Key Used",
                        key.resource,
                        acme,
                        ws,
                        key.actor,
                        self.key_meta(
                            key,
                            key_prefix=key.prefix,
                            endpoint=weighted(KEY_ENDPOINTS["service"]),
                            http_status=200,
                            geo=self.geo(tom),
                        ),
                    ),
                )
            else:
                agent = ws.agents[0]
                self.at(
                    tt,
                    lambda t, a=agent: self.emit(
                        t,
                        "Agent Invoked",
                        a.resource,
                        acme,
                        ws,
                        key.actor,
                        self.invoke_meta(t, a, self.key_meta(key), "api"),
                    ),
                )

        # the burst from an unknown network at 02:13 local, four days ago
        burst = self.day_at(acme, 4, 2, 13)
        attacker_ips = ["203.0.113.77", "203.0.113.78", "203.0.113.91"]
        geo = {"country": "SG", "city": "Singapore"}
        uas = ["python-requests/2.31.0", "curl/8.4.0"]
        endpoints = [
            ("GET /v1/agents", 3),
            ("GET /v1/secrets", 3),
            ("GET /v1/secrets/{secret_id}", 4),
            ("POST /v1/agents/{agent_id}/invoke", 6),
            ("GET /v1/integrations", 2),
            ("GET /v1/workspaces/{workspace_id}/members", 2),
        ]
        revoke_at = burst + 36 * MIN + 40 * SEC
        tt = burst
        while tt < revoke_at - 3 * MIN:
            ip, ua = rng.choice(attacker_ips), rng.choice(uas)
            endpoint = weighted(endpoints)
            status = (
                403
                if "members" in endpoint
                else (429 if tt > burst + 9 * MIN and rng.random() < 0.25 else 200)
            )
            self.at(
                tt,
                lambda t, ip=ip, ua=ua, e=endpoint, s=status: self.emit(
                    t,
                    "Workspace API Key Used",
                    key.resource,
                    acme,
                    ws,
                    key.actor,
                    {
                        "ip": ip,
                        "user_agent": ua,
                        "request_id": self.req(),
                        "key_prefix": key.prefix,
                        "endpoint": e,
                        "http_status": s,
                        "geo": geo,
                    },
                ),
            )
            if endpoint.startswith("POST") and status == 200:

                def abuse(t: int, ip: str = ip, ua: str = ua) -> None:
                    a = rng.choice(ws.running_agents() or ws.live_agents())
                    meta = self.invoke_meta(
                        t, a, {"ip": ip, "user_agent": ua, "request_id": self.req()}, "api"
                    )
                    meta["input_tokens"] = tin = rng.randint(60000, 120000)
                    pin, pout = MODEL_PRICE[meta["model"]]
                    meta["cost_usd"] = round((tin * pin + meta["output_tokens"] * pout) / 1e6, 5)
                    self.emit(t, "Agent Invoked", a.resource, acme, ws, key.actor, meta)

                self.at(tt + rng.randint(200, 1500), abuse)
            tt += int(lognorm(14 * SEC, 0.6))
        for name in ("OPENAI_API_KEY", "STRIPE_SECRET_KEY", "DATABASE_URL"):
            secret = next(s for s in ws.secrets if s.name == name)
            t_acc = burst + rng.randint(3 * MIN, 20 * MIN)
            self.at(
                t_acc,
                lambda t, s=secret: self.emit(
                    t,
                    "Secret Accessed",
                    s.resource,
                    acme,
                    ws,
                    key.actor,
                    {
                        "ip": rng.choice(attacker_ips),
                        "user_agent": uas[0],
                        "request_id": self.req(),
                        "purpose": "api read",
                        "secret_version": s.version,
                        "geo": geo,
                    },
                ),
            )
        for minute, observed in ((9, 1840), (14, 2410), (22, 2275)):
            self.at(
                burst + minute * MIN + rng.randint(0, 50 * SEC),
                lambda t, o=observed: self.rate_limited(
                    t, key, rng.choice(attacker_ips), uas[0], observed=o, geo=geo
                ),
            )
        self.at(
            burst + self.j(12 * MIN + 31 * SEC),
            lambda t: self.emit(
                t,
                "Performance Anomaly",
                key.resource,
                acme,
                ws,
                self.systems["health-monitor"].actor,
                self.sys_meta(
                    "health-monitor",
                    metric="requests_per_min",
                    observed=212,
                    baseline=2,
                    threshold=60,
                    window="5m",
                    severity="critical",
                    note="traffic from a new network for this key",
                ),
            ),
        )
        # security responds
        self.at(burst + self.j(29 * MIN + 5 * SEC), lambda t: self.login(t, priya, "saml"))
        self.at(
            revoke_at,
            lambda t: self.revoke_key(
                t,
                key,
                priya,
                "key leaked in public repository",
                detected_by="GitHub secret scanning alert",
                incident="SEC-2291",
            ),
        )
        tt = revoke_at + 6 * MIN
        for name in ("OPENAI_API_KEY", "STRIPE_SECRET_KEY", "DATABASE_URL"):
            secret = next(s for s in ws.secrets if s.name == name)
            tt += rng.randint(1 * MIN, 4 * MIN)
            self.at(
                tt,
                lambda t, s=secret: self.rotate_secret(
                    t,
                    s,
                    priya.actor,
                    self.user_meta(t, priya),
                    "manual",
                    reason="exposed via leaked API key tom-local-testing",
                ),
            )
        self.at(tt + self.j(9 * MIN), lambda t: self.export(t, priya, 7, {"actor_id": key.id}))
        self.at(self.day_at(acme, 3, 9, 48), lambda t: self.login(t, tom))
        self.at(
            self.day_at(acme, 3, 10, 30),
            lambda t: self.org_setting(t, priya, {"api_key_max_ttl_days": 90}),
        )

    def story_failed_deploy(self) -> None:
        """(b) A release of fraud-screener breaks in production and is rolled back."""
        acme = self.org("acme")
        ws = next(w for w in acme.workspaces if w.name == "Production")
        agent = next(a for a in ws.agents if a.name == "fraud-screener")
        agent.protected = True
        ws.agents[0].protected = True  # order-router, used by the leaked-key story
        lena = self.user(acme, "Lena Fischer")
        dev = self.user(acme, "Tom Becker")
        t0 = self.day_at(acme, 13, 15, 47)  # a Friday afternoon

        def go(t: int) -> None:
            agent.running = True
            prev = agent.version
            bad = (prev[0], prev[1] + 1, 0)
            self.deploy(t, agent, version=bad, user=dev, via="deploy-bot", fail=False)
            agent.failing_until = t + 26 * MIN
            err = (
                "TOOL_SCHEMA_MISMATCH",
                "Tool 'score_transaction' returned an invalid "
                "payload: 'risk_score' expected number, got string",
                500,
                "agent-runtime",
                700,
            )
            gw = (
                "UPSTREAM_BAD_GATEWAY",
                "fraud-screener returned 502 for 38% of requests",
                502,
                "gateway",
                1500,
            )
            tt = t + 2 * MIN + 10 * SEC
            for i in range(16):
                e = gw if i % 4 == 3 else err
                self.at(
                    tt,
                    lambda t2, e=e: self.system_error(
                        t2,
                        agent,
                        e,
                        "api-gateway" if e is gw else "health-monitor",
                        version=fmt_version(bad),
                    ),
                )
                tt += int(lognorm(70 * SEC, 0.4))
            self.at(
                t + self.j(4 * MIN),
                lambda t2: self.anomaly(
                    t2, agent, "error_rate_pct", "critical", observed=38.2, version=fmt_version(bad)
                ),
            )
            self.at(
                t + self.j(9 * MIN),
                lambda t2: self.anomaly(
                    t2, agent, "p95_latency_ms", "warning", 3.4, version=fmt_version(bad)
                ),
            )
            self.at(
                t + self.j(6 * MIN + 12 * SEC),
                lambda t2: self.emit(
                    t2,
                    "Deployment Failed",
                    agent.resource,
                    acme,
                    ws,
                    self.systems["deploy-bot"].actor,
                    self.sys_meta(
                        "deploy-bot",
                        version=fmt_version(bad),
                        environment="production",
                        deployment_id=short_id("dep", 10),
                        error_code="HEALTHCHECK_FAILED",
                        message="Canary error rate 38.2% exceeded the 5% threshold; "
                        "2/3 replicas failing readiness probe",
                        duration_ms=371_000,
                        triggered_by=dev.email,
                    ),
                ),
            )
            self.at(t + self.j(14 * MIN), lambda t2: self.login(t2, lena, "saml"))
            self.at(
                t + self.j(23 * MIN + 40 * SEC),
                lambda t2: self.rollback(
                    t2, agent, lena, "Deployment Failed: canary error rate above threshold"
                ),
            )
            self.at(
                t + self.j(31 * MIN),
                lambda t2: self.anomaly(
                    t2, agent, "error_rate_pct", "info", 1.1, status="resolved"
                ),
            )
            fixed = (bad[0], bad[1], 1)
            self.at(
                self.day_at(acme, 10, 11, 12),
                lambda t2: self.deploy(
                    t2, agent, version=fixed, user=dev, via="deploy-bot", fail=False
                ),
            )

        self.at(t0, go)

    def story_incident(self) -> None:
        """(c) About an hour of errors and anomalies at Globex: the vector store is degraded."""
        globex = self.org("globex")
        t0 = self.day_at(globex, 22, 14, 5)
        t1 = t0 + 57 * MIN
        self.incidents.append((globex, t0, t1))
        wss = [w for w in globex.workspaces if w.name in ("Production", "Sales Automation")]
        marco = self.user(globex, "Marco Bianchi")
        errors = [
            (
                "VECTOR_STORE_UNAVAILABLE",
                "Connection to vector store vs-eu-west-1b refused",
                503,
                "retrieval",
                5000,
            ),
            ("RETRIEVAL_TIMEOUT", "Vector search exceeded 10s timeout", 504, "retrieval", 10000),
            ("AGENT_TIMEOUT", "Agent run exceeded the 30s timeout", 504, "agent-runtime", 30000),
        ]
        tt = t0
        n = 0
        while tt < t1:
            # busiest in the middle of the hour
            phase = (tt - t0) / (t1 - t0)
            gap = int(lognorm(95 * SEC, 0.5) / (0.5 + 1.5 * math.sin(math.pi * phase)))
            agents = [a for w in wss for a in w.agents]
            agent = rng.choice(agents)
            if rng.random() < 0.68:
                e = weighted([(errors[0], 5), (errors[1], 3), (errors[2], 2)])
                self.at(
                    tt,
                    lambda t, a=agent, e=e: (
                        self.system_error(t, a, e, incident="INC-0412") if a.alive else None
                    ),
                )
            else:
                metric = weighted(
                    [("p95_latency_ms", 3), ("error_rate_pct", 2), ("queue_depth", 1)]
                )
                self.at(
                    tt,
                    lambda t, a=agent, m=metric: (
                        self.anomaly(
                            t, a, m, "critical", rng.uniform(4.5, 9.0), incident="INC-0412"
                        )
                        if a.alive
                        else None
                    ),
                )
            n += 1
            tt += max(20 * SEC, gap)
        sf = next(i for w in wss for i in w.integrations if i.name == "Snowflake")
        self.at(t0 + self.j(21 * MIN), lambda t: self.sync_failed(t, sf, "TIMEOUT"))
        self.at(t0 + self.j(9 * MIN), lambda t: self.login(t, marco, "saml"))
        self.at(
            t1 + self.j(4 * MIN),
            lambda t: [
                self.anomaly(
                    t + i * 900,
                    a,
                    "p95_latency_ms",
                    "info",
                    1.05,
                    status="resolved",
                    incident="INC-0412",
                )
                for i, a in enumerate([a for a in wss[0].agents if a.alive][:2])
            ],
        )
        self.at(
            t1 + self.j(18 * MIN),
            lambda t: self.export(t, self.user(globex, "Ines Duarte"), 1, {"incident": "INC-0412"}),
        )

    def story_brute_force(self) -> None:
        """(d) Password spraying against one Initech account at night, then a reset."""
        initech = self.org("initech")
        mb = self.user(initech, "Michael Bolton")
        t0 = self.day_at(initech, 2, 1, 31)
        ip = "198.51.100.23"
        tt = t0
        for i in range(16):
            reason = "invalid_password" if i < 10 else "account_locked"
            self.at(
                tt,
                lambda t, i=i, r=reason: self.emit(
                    t,
                    "User Login Failed",
                    mb.resource,
                    initech,
                    None,
                    mb.actor,
                    {
                        "ip": ip,
                        "user_agent": "python-requests/2.31.0",
                        "request_id": self.req(),
                        "reason": r,
                        "attempt": i + 1,
                        "geo": {"country": "BR", "city": "São Paulo"},
                    },
                ),
            )
            tt += int(lognorm(28 * SEC, 0.5))

        def morning(t: int) -> None:
            mb.session = None
            self.emit(
                t,
                "Password Reset",
                mb.resource,
                initech,
                None,
                mb.actor,
                self.user_meta(t, mb, method="email_link"),
            )
            self.login(t + self.j(3 * MIN), mb, "password")
            self.mfa_enable(t + self.j(5 * MIN), mb)

        self.at(self.day_at(initech, 1, 8, 54), morning)

    # ---- run --------------------------------------------------------------------------------

    def run(self) -> list[dict[str, Any]]:
        self.schedule_lifecycle()
        self.story_leaked_key()
        self.story_failed_deploy()
        self.story_incident()
        self.story_brute_force()
        self.schedule_background()
        while self.queue:
            t, _, fn = heapq.heappop(self.queue)
            if t > END:
                break
            fn(t)
        self.events.sort(key=lambda e: (e[0], e[1]))
        # pin the newest event exactly at END
        shift = END - self.events[-1][0]
        out = []
        for t, _, ev in self.events:
            t += shift
            ev["audited_at"] = t
            ev["id"] = "evt_" + ulid(ULID_ANCHOR_MS + t)
            out.append(ev)
        return out


def generate() -> list[dict[str, Any]]:
    """Run the simulation (deterministic: reseeds the module RNG)."""
    rng.seed(SEED)
    return Sim().run()


def dumps(events: list[dict[str, Any]]) -> bytes:
    lines = [json.dumps(ev, ensure_ascii=False, separators=(",", ":")) for ev in events]
    return ("\n".join(lines) + "\n").encode("utf-8")


def compress(raw: bytes) -> bytes:
    return lzma.compress(
        raw, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, preset=9 | lzma.PRESET_EXTREME
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--stats", action="store_true", help="print a summary")
    args = parser.parse_args(argv)
    events = generate()
    raw = dumps(events)
    data = compress(raw)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"{args.out}: {len(events)} events, {len(raw):,} bytes raw, {len(data):,} bytes xz")
    if args.stats:
        types = Counter(e["event_type"] for e in events)
        for name, n in types.most_common():
            print(f"  {n:6d}  {name}")
        actors = Counter(e["actor"]["type"] for e in events)
        print("  actors by type:", dict(actors))
        print("  distinct actors:", len({e["actor"]["id"] for e in events}))
        print("  workspaces:", len({e["workspace"]["id"] for e in events if e["workspace"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
