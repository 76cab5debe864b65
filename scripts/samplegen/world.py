"""Building the world at the start of the window: system accounts, the three organizations
with their workspaces, agents, integrations, secrets and keys, and the people; picking
from them by weight.
"""

from __future__ import annotations

from .base import SimBase
from .clock import START
from .dice import ascii_fold
from .entities import Agent, ApiKey, Integration, Org, Secret, System, User, Workspace
from .vocabulary import (
    AGENT_DESCRIPTIONS,
    AGENT_TAGS,
    BROWSERS,
    CITIES,
    FIRST_NAMES,
    INITECH_ONBOARD_DAYS,
    KEY_UA,
    LAST_NAMES,
    MODELS,
    SCHEDULED_AGENTS,
    SYSTEM_ACCOUNTS,
    TOOLS,
    WORKSPACE_PLAN,
)


class World(SimBase):
    def build_world(self) -> None:
        rng = self.rng
        for name, ua in SYSTEM_ACCOUNTS:
            ips = [
                f"10.{rng.randint(0, 40)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
                for _ in range(rng.randint(1, 3))
            ]
            self.systems[name] = System(rng.short_id("sys", 10), name, ua, ips)

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
                rng.short_id("org", 10),
                name,
                domain,
                tz,
                region,
                aws,
                share,
                START,
                [rng.public_ip(region) for _ in range(2)],
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
                    "id": rng.short_id("pol", 10),
                    "name": "PII redaction",
                    "field": "mode",
                    "value": "mask",
                },
                {
                    "id": rng.short_id("pol", 10),
                    "name": "Prompt injection guardrail",
                    "field": "threshold",
                    "value": 0.8,
                },
                {
                    "id": rng.short_id("pol", 10),
                    "name": "Monthly spend limit",
                    "field": "limit_usd",
                    "value": 5000,
                },
                {
                    "id": rng.short_id("pol", 10),
                    "name": "Allowed models",
                    "field": "models",
                    "value": ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet"],
                },
            ]
            org.sso = {
                "id": rng.short_id("sso", 10),
                "name": rng.choice(["Okta SAML", "Google Workspace", "Azure AD SAML"]),
                "enforce_sso": False,
            }
            self.orgs.append(org)
            for plan in WORKSPACE_PLAN[key]:
                ws = Workspace(
                    org,
                    rng.short_id("ws", 10),
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
                        Integration(ws, rng.short_id("int", 10), iname, alive=ws.alive)
                    )
                for sname in plan["secrets"]:
                    ws.secrets.append(
                        Secret(
                            ws,
                            rng.short_id("sec", 10),
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
            "model": self.rng.choice(MODELS),
            "temperature": self.rng.choice([0.0, 0.1, 0.2, 0.3, 0.5, 0.7]),
            "max_tokens": self.rng.choice([512, 1024, 2048, 4096]),
            "timeout_s": self.rng.choice([30, 60, 120]),
            "tools": sorted(self.rng.sample(TOOLS, self.rng.randint(1, 3))),
            "memory_enabled": self.rng.random() < 0.4,
            "retrieval_top_k": self.rng.choice([3, 5, 8, 10]),
        }
        if initial:
            version = (
                self.rng.choice([1, 1, 1, 2, 3]),
                self.rng.randint(0, 9),
                self.rng.randint(0, 12),
            )
        else:
            version = (0, 1, 0)
        return Agent(
            ws,
            self.rng.short_id("agt"),
            name,
            version,
            cfg,
            alive=initial,
            deployed=initial,
            popularity=self.rng.lognorm(1.0, 0.8),
            scheduled=name in SCHEDULED_AGENTS,
            revision=self.rng.randint(3, 40) if initial else 1,
            description=self.rng.choice(AGENT_DESCRIPTIONS),
            tags=sorted(self.rng.sample(AGENT_TAGS, self.rng.randint(0, 2))),
        )

    def new_key(self, ws: Workspace, name: str, kind: str, alive: bool) -> ApiKey:
        rng = self.rng
        kid = rng.short_id("key", 12)
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
            ws,
            kid,
            name,
            kind,
            "crk_live_" + kid[4:8],
            ips,
            rng.choice(KEY_UA[kind]),
            alive=alive,
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
                name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                if name in self.used_names or any(name == p for p, _ in people):
                    continue
                r = self.rng.random()
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
                    self.rng.short_id("usr", 10),
                    name,
                    email,
                    role,
                    self.rng.choice(CITIES[org.region]),
                    self.rng.public_ip(org.region),
                    self.rng.choice(BROWSERS),
                    activity * self.rng.lognorm(1.0, 0.4),
                    mfa=self.rng.random() < 0.7,
                    active=org.key != "initech",
                    uses_cli=role in ("developer", "operator") and self.rng.random() < 0.4,
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
                    if u.role in ("owner", "admin", "security_admin") or self.rng.random() < 0.35:
                        ws.members.append(u)

    def user(self, org: Org, name: str) -> User:
        return next(u for u in org.users if u.name == name)

    def org(self, key: str) -> Org:
        return next(o for o in self.orgs if o.key == key)

    # ---- picking ----------------------------------------------------------------------------

    def pick_ws(self, org: Org) -> Workspace | None:
        wss = org.live_workspaces()
        return self.rng.weighted([(w, w.weight) for w in wss]) if wss else None

    def pick_user(self, org: Org, pool: list[User] | None = None) -> User | None:
        pool = org.active_users() if pool is None else [u for u in pool if u.active]
        return self.rng.weighted([(u, u.activity) for u in pool]) if pool else None

    def pick_agent(self, ws: Workspace, running: bool = True) -> Agent | None:
        pool = ws.running_agents() if running else ws.live_agents()
        return self.rng.weighted([(a, a.popularity) for a in pool]) if pool else None

    def ws_editor(self, ws: Workspace) -> User | None:
        return self.pick_user(ws.org, ws.editors())
