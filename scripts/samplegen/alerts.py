"""Handlers for the platform's own alerts: system errors and performance anomalies."""

from __future__ import annotations

from typing import Any

from .base import SimBase
from .entities import Agent, Org
from .vocabulary import SYSTEM_ERRORS


class AlertEvents(SimBase):
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
            msg = msg.format(tool=self.rng.choice(agent.config["tools"]))
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
                duration_ms=int(self.rng.lognorm(dur, 0.3)),
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
        err = self.rng.weighted(
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
        base = baselines[metric] * self.rng.uniform(0.7, 1.4)
        if observed is not None:
            factor = observed / base
        factor = factor or self.rng.uniform(2.2, 5.0)
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
        metric = self.rng.weighted(
            [
                ("p95_latency_ms", 5),
                ("error_rate_pct", 2),
                ("queue_depth", 1.5),
                ("tokens_per_min", 1.5),
            ]
        )
        self.anomaly(t, agent, metric)
        return True
