"""The entities of the world: organizations, workspaces, agents, integrations, secrets, API keys,
people and system accounts.

Plain mutable records: the simulation changes them as events happen (an agent's version, a
user's role, a key revoked) so that later events stay consistent with earlier ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .vocabulary import PROVIDER_SLUG


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
