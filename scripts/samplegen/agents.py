"""Handlers for agents: invocations, creation and deletion, configuration changes, updates,
deployments (good and bad), rollbacks and stops.
"""

from __future__ import annotations

from typing import Any

from .base import SimBase
from .clock import DAY, HOUR, MIN, SEC
from .dice import fmt_version
from .entities import Agent, ApiKey, Org, User
from .vocabulary import (
    AGENT_DESCRIPTIONS,
    AGENT_TAGS,
    MODEL_PRICE,
    MODEL_SPEED,
    MODELS,
    SYSTEM_ERRORS,
    TOOLS,
)


class AgentEvents(SimBase):
    def invoke_meta(
        self, t: int, agent: Agent, base: dict[str, Any], channel: str
    ) -> dict[str, Any]:
        model = agent.config["model"]
        tin = int(self.rng.lognorm(1400, 0.7))
        tout = min(agent.config["max_tokens"], int(self.rng.lognorm(260, 0.7)))
        dur = int(
            250
            + tout * MODEL_SPEED[model] * self.rng.uniform(0.7, 1.5)
            + self.rng.lognorm(300, 0.5)
        )
        pin, pout = MODEL_PRICE[model]
        base["run_id"] = self.rng.short_id("run", 12)
        failing = agent.failing_until > t or any(
            o is agent.ws.org and a <= t <= b for o, a, b in self.incidents
        )
        if failing and self.rng.random() < 0.55:
            base.update(
                channel=channel,
                model=model,
                input_tokens=tin,
                output_tokens=0,
                duration_ms=int(dur * self.rng.uniform(2, 6)),
                status="error",
                error_code=self.rng.choice(["UPSTREAM_TIMEOUT", "TOOL_EXECUTION_FAILED"]),
            )
        elif self.rng.random() < 0.018:
            code = self.rng.choice(
                ["AGENT_TIMEOUT", "TOOL_EXECUTION_FAILED", "UPSTREAM_MODEL_ERROR"]
            )
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
            agent = self.rng.choice(pool)
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
        key = self.rng.choice(keys)
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
                template=self.rng.choice(
                    ["blank", "blank", "rag-qa", "support-triage", "data-analyst"]
                ),
                config={
                    "model": cfg["model"],
                    "temperature": cfg["temperature"],
                    "tools": cfg["tools"],
                },
            ),
        )
        tt = t + self.rng.randint(5 * MIN, 50 * MIN)
        self.at(tt, lambda t2: self.config_change(t2, agent, user))
        tt += self.rng.randint(30 * MIN, 20 * HOUR)
        self.at(tt, lambda t2: self.deploy(t2, agent, first=True))

    def h_agent_created(self, t: int, org: Org, stream: str) -> bool:
        wss = [w for w in org.live_workspaces() if w.reserve]
        if not wss:
            return False
        ws = self.rng.choice(wss)
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
        ws = self.rng.weighted([(w, 3 if w.env != "production" else 1) for w in wss])
        pool = [a for a in ws.live_agents() if not a.protected]
        user = self.ws_editor(ws)
        if not pool or user is None:
            return False
        agent = self.rng.choice(pool)
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
                reason=self.rng.choice(["superseded", "experiment finished", "no longer used"]),
            ),
        )
        return True

    def config_change(
        self, t: int, agent: Agent, actor_user: User | None = None, key: ApiKey | None = None
    ) -> None:
        cfg = agent.config
        fieldname = self.rng.weighted(
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
            after: Any = self.rng.choice(
                [v for v in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7) if v != before]
            )
        elif fieldname == "max_tokens":
            after = self.rng.choice([v for v in (512, 1024, 2048, 4096, 8192) if v != before])
        elif fieldname == "model":
            after = self.rng.choice([m for m in MODELS if m != before])
        elif fieldname == "tools":
            extra = [x for x in TOOLS if x not in before]
            if len(before) > 1 and (self.rng.random() < 0.35 or not extra):
                dropped = self.rng.choice(before)
                after = sorted(x for x in before if x != dropped)
            else:
                after = sorted(before + [self.rng.choice(extra)])
        elif fieldname == "timeout_s":
            after = self.rng.choice([v for v in (30, 60, 90, 120, 300) if v != before])
        elif fieldname == "memory_enabled":
            after = not before
        else:
            after = self.rng.choice([v for v in (3, 5, 8, 10, 20) if v != before])
        cfg[fieldname] = after
        changes = {"before": {fieldname: before}, "after": {fieldname: after}}
        if key is not None:
            meta = self.key_meta(key, changes=changes)
            actor = key.actor
        else:
            assert actor_user is not None
            meta = self.user_meta(
                t, actor_user, cli=actor_user.uses_cli and self.rng.random() < 0.5, changes=changes
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
        if iac and self.rng.random() < 0.25:
            self.config_change(t, agent, key=self.rng.choice(iac))
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
        what = self.rng.weighted(
            [("instructions_revision", 6), ("description", 1.5), ("tags", 1.5)]
        )
        if what == "instructions_revision":
            changes = {
                "before": {"instructions_revision": agent.revision},
                "after": {"instructions_revision": agent.revision + 1},
            }
            agent.revision += 1
            extra: dict[str, Any] = {
                "diff": f"+{self.rng.randint(1, 40)} -{self.rng.randint(0, 25)} lines"
            }
        elif what == "description":
            new = self.rng.choice([d for d in AGENT_DESCRIPTIONS if d != agent.description])
            changes = {"before": {"description": agent.description}, "after": {"description": new}}
            agent.description = new
            extra = {}
        else:
            tags = list(agent.tags)
            extra_tags = [x for x in AGENT_TAGS if x not in tags]
            if tags and (self.rng.random() < 0.4 or not extra_tags):
                tags.remove(self.rng.choice(tags))
            else:
                tags = sorted(tags + [self.rng.choice(extra_tags)])
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
        new = version or ((0, 1, 0) if first else self.rng.bump(agent.version))
        prev = None if first else agent.version
        env = ws.env
        dep = self.rng.short_id("dep", 10)
        commit = self.rng.hexsha()
        via = via or self.rng.weighted(
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
            key = self.rng.choice(ws.live_keys("ci"))
            actor, meta = key.actor, self.key_meta(key)
        else:
            assert triggered is not None
            actor = triggered.actor
            meta = self.user_meta(t, triggered, cli=triggered.uses_cli)
        auto = fail is None
        if fail is None:
            fail = not first and self.rng.random() < 0.06
        if fail:
            code, msg = self.rng.choice(
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
                duration_ms=int(self.rng.lognorm(95000, 0.5)),
            )
            self.emit(t, "Deployment Failed", agent.resource, org, ws, actor, meta)
            # a fixed version goes out a bit later
            self.at(
                t + int(self.rng.lognorm(70 * MIN, 0.6)),
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
            duration_ms=int(self.rng.lognorm(80000, 0.4)),
        )
        self.emit(t, "Agent Deployed", agent.resource, org, ws, actor, meta)
        agent.deployed = True
        if prev is not None:
            agent.history.append(prev)
        agent.version = new
        if first or not agent.running:
            agent.running = True
            self.emit(
                t + self.rng.randint(20 * SEC, 90 * SEC),
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
        elif auto and prev is not None and self.rng.random() < 0.02:
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
        n = self.rng.randint(3, 6) if small else 0
        tt = t
        for _ in range(n):
            tt += self.rng.randint(40 * SEC, 4 * MIN)
            err = self.rng.choice(SYSTEM_ERRORS[:3])
            self.at(tt, lambda t2, err=err: self.system_error(t2, agent, err))
        agent.failing_until = tt + 5 * MIN

        def rollback(t2: int) -> None:
            user = self.pick_user(ws.org, [u for u in ws.editors() if u.role != "viewer"])
            if user is None or agent.version != bad:
                return
            self.rollback(t2, agent, user, "error rate above threshold after deploy")

        self.at(tt + self.rng.randint(3 * MIN, 12 * MIN), rollback)

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
                deployment_id=self.rng.short_id("dep", 10),
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
            agent = self.rng.choice(pool)
            sysname = "scheduler"
            actor = self.systems[sysname].actor
            meta = self.sys_meta(
                sysname,
                environment=ws.env,
                reason="idle for 60 minutes, scaled to zero",
                replicas=0,
            )
            restart_after = int(self.rng.lognorm(5 * HOUR, 1.0))
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
                reason=self.rng.choice(["manual", "maintenance", "investigating errors"]),
                replicas=0,
            )
            restart_after = int(self.rng.lognorm(50 * MIN, 1.0))
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
