"""The simulation's state and plumbing, shared by every part of it.

``SimBase`` holds the dice, the world (organizations, system accounts), the queue of things
to happen and the events emitted so far, and the helpers every handler uses: schedule a call
(``at``), emit an event (``emit``), and the request metadata of a user, a key or a system
account.  The handlers, the lifecycle and the stories are mixins over it, one file each;
``sim.Sim`` puts them together.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Callable
from typing import Any

from .clock import DAY, END, HOUR, MIN, NOTIONAL_OPEN, SEC, START
from .dice import Dice
from .entities import ApiKey, Org, System, User, Workspace
from .rhythms import local_clock
from .vocabulary import CLI_UA


class SimBase:
    def __init__(self, seed: int) -> None:
        self.rng = Dice(seed)
        self.events: list[tuple[int, int, dict[str, Any]]] = []
        self.queue: list[tuple[int, int, Callable[[int], None]]] = []
        self.seq = 0
        self.orgs: list[Org] = []
        self.systems: dict[str, System] = {}
        self.incidents: list[tuple[Org, int, int]] = []
        self.used_names: set[str] = set()

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
        return self.rng.short_id("req", 16)

    def chrome_version(self, t: int) -> int:
        return 126 + (t - START) // (28 * DAY)

    def user_meta(self, t: int, user: User, cli: bool = False, **extra: Any) -> dict[str, Any]:
        hour, wd = local_clock(t, user.org.tz)
        # on a weekday in office hours, people are at the office, except on their
        # work-from-home days (a quarter of them, fixed per person and day)
        day = (t + user.org.tz * HOUR) // DAY
        wfh = zlib.crc32(f"{user.id}/{day}".encode()) % 4 == 0
        at_office = wd < 5 and 8 <= hour < 18 and not wfh
        ip = self.rng.choice(user.org.office_ips) if at_office else user.home_ip
        ua = CLI_UA if cli else user.browser(self.chrome_version(t))
        meta = {"ip": ip, "user_agent": ua, "request_id": self.req()}
        if user.session is not None and not cli:
            meta["session_id"] = user.session
        meta.update(extra)
        return meta

    def key_meta(self, key: ApiKey, **extra: Any) -> dict[str, Any]:
        return {
            "ip": self.rng.choice(key.ips),
            "user_agent": key.ua,
            "request_id": self.req(),
            **extra,
        }

    def sys_meta(self, name: str, **extra: Any) -> dict[str, Any]:
        s = self.systems[name]
        return {"ip": self.rng.choice(s.ips), "user_agent": s.ua, "request_id": self.req(), **extra}

    def geo(self, user: User) -> dict[str, str]:
        return {"country": user.geo[0], "city": user.geo[1]}

    def day_at(self, org: Org, days_ago: float, hh: int, mm: int = 0) -> int:
        """t of local hh:mm (plus random seconds), ``days_ago`` days before the opening day."""
        open_local = NOTIONAL_OPEN + org.tz * HOUR
        midnight = open_local - open_local % DAY
        local = midnight - int(days_ago * DAY) + hh * HOUR + mm * MIN + self.rng.randrange(MIN)
        return local - org.tz * HOUR - NOTIONAL_OPEN

    def j(self, ms: int) -> int:
        """``ms`` give or take up to 20 seconds, so scripted steps don't look scripted."""
        return ms + self.rng.randint(-20 * SEC, 20 * SEC)
