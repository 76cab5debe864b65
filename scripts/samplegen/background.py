"""The background: events drawn hour by hour from the three streams (human, traffic, machine)
whose intensity follows the rhythms in ``rhythms.py``, each sent to its handler.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import SimBase
from .clock import DAY, END, HOUR, START
from .entities import Org
from .rhythms import BACKGROUND_TARGET, growth, intensity


class Background(SimBase):
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
                for _ in range(self.rng.poisson(lam * scale)):
                    t = h + self.rng.randrange(min(HOUR, END - h))
                    etype = self.rng.weighted(weights)
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
