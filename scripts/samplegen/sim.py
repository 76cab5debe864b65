"""The whole simulation: the world, the background, the lifecycle and the stories, run in time
order into the list of events."""

from __future__ import annotations

import heapq
from typing import Any

from .agents import AgentEvents
from .alerts import AlertEvents
from .background import Background
from .clock import END, ULID_ANCHOR_MS
from .lifecycle import Lifecycle
from .people import PeopleEvents
from .stories import Stories
from .workspaces import WorkspaceEvents
from .world import World

SEED = 20_251_126  # the seed of the bundled sample


class Sim(
    Stories,
    Lifecycle,
    Background,
    AlertEvents,
    AgentEvents,
    WorkspaceEvents,
    PeopleEvents,
    World,
):
    def __init__(self, seed: int = SEED) -> None:
        super().__init__(seed)
        self.build_world()

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
            ev["id"] = "evt_" + self.rng.ulid(ULID_ANCHOR_MS + t)
            out.append(ev)
        return out


def generate(seed: int = SEED) -> list[dict[str, Any]]:
    """Run the simulation: the events, oldest first (the same ones for the same seed)."""
    return Sim(seed).run()
