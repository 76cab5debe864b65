"""The scripted stories in the last 30 days, there to be found in the sample: a leaked API key,
a failed deployment rolled back, a one-hour incident burst, and a brute-force login.
"""

from __future__ import annotations

import math

from .base import SimBase
from .clock import HOUR, MIN, SEC
from .dice import fmt_version
from .vocabulary import KEY_ENDPOINTS, MODEL_PRICE


class Stories(SimBase):
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
            tt += int(self.rng.lognorm(2.5 * HOUR, 0.8))
            if self.rng.random() < 0.5:
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
                            endpoint=self.rng.weighted(KEY_ENDPOINTS["service"]),
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
            ip, ua = self.rng.choice(attacker_ips), self.rng.choice(uas)
            endpoint = self.rng.weighted(endpoints)
            status = (
                403
                if "members" in endpoint
                else (429 if tt > burst + 9 * MIN and self.rng.random() < 0.25 else 200)
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
                    a = self.rng.choice(ws.running_agents() or ws.live_agents())
                    meta = self.invoke_meta(
                        t, a, {"ip": ip, "user_agent": ua, "request_id": self.req()}, "api"
                    )
                    meta["input_tokens"] = tin = self.rng.randint(60000, 120000)
                    pin, pout = MODEL_PRICE[meta["model"]]
                    meta["cost_usd"] = round((tin * pin + meta["output_tokens"] * pout) / 1e6, 5)
                    self.emit(t, "Agent Invoked", a.resource, acme, ws, key.actor, meta)

                self.at(tt + self.rng.randint(200, 1500), abuse)
            tt += int(self.rng.lognorm(14 * SEC, 0.6))
        for name in ("OPENAI_API_KEY", "STRIPE_SECRET_KEY", "DATABASE_URL"):
            secret = next(s for s in ws.secrets if s.name == name)
            t_acc = burst + self.rng.randint(3 * MIN, 20 * MIN)
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
                        "ip": self.rng.choice(attacker_ips),
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
                burst + minute * MIN + self.rng.randint(0, 50 * SEC),
                lambda t, o=observed: self.rate_limited(
                    t, key, self.rng.choice(attacker_ips), uas[0], observed=o, geo=geo
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
            tt += self.rng.randint(1 * MIN, 4 * MIN)
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
                tt += int(self.rng.lognorm(70 * SEC, 0.4))
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
                        deployment_id=self.rng.short_id("dep", 10),
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
            gap = int(self.rng.lognorm(95 * SEC, 0.5) / (0.5 + 1.5 * math.sin(math.pi * phase)))
            agents = [a for w in wss for a in w.agents]
            agent = self.rng.choice(agents)
            if self.rng.random() < 0.68:
                e = self.rng.weighted([(errors[0], 5), (errors[1], 3), (errors[2], 2)])
                self.at(
                    tt,
                    lambda t, a=agent, e=e: (
                        self.system_error(t, a, e, incident="INC-0412") if a.alive else None
                    ),
                )
            else:
                metric = self.rng.weighted(
                    [("p95_latency_ms", 3), ("error_rate_pct", 2), ("queue_depth", 1)]
                )
                self.at(
                    tt,
                    lambda t, a=agent, m=metric: (
                        self.anomaly(
                            t, a, m, "critical", self.rng.uniform(4.5, 9.0), incident="INC-0412"
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
            tt += int(self.rng.lognorm(28 * SEC, 0.5))

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
