"""Handlers for what lives in a workspace besides agents: the workspace itself, API keys and
rate limits, secrets, integrations and their syncs.
"""

from __future__ import annotations

from typing import Any

from .base import SimBase
from .clock import DAY, HOUR, MIN
from .entities import ApiKey, Integration, Org, Secret, User, Workspace
from .vocabulary import (
    KEY_ENDPOINTS,
    KEY_SCOPES,
    MODELS,
    PROVIDER_SCOPES,
    PROVIDER_SLUG,
    SYNC_ERRORS,
)


class WorkspaceEvents(SimBase):
    def h_workspace_updated(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        admin = self.pick_user(org, org.admins())
        if admin is None:
            return False
        fieldname = self.rng.choice(["default_model", "monthly_budget_usd", "monthly_budget_usd"])
        before = ws.settings[fieldname]
        if fieldname == "default_model":
            after: Any = self.rng.choice([m for m in MODELS if m != before])
        else:
            after = self.rng.choice([b for b in (500, 1000, 2000, 5000, 10000) if b != before])
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
            and (u.role in ("admin", "security_admin", "owner") or self.rng.random() < 0.3)
        ]
        tt = t
        for u in others[:6]:
            tt += self.rng.randint(1 * MIN, 9 * MIN)
            self.at(tt, lambda t2, u=u: self.add_member(t2, ws, admin, u))
        # secrets and integrations the same day, agents over the next days
        tt = t + self.rng.randint(15 * MIN, 50 * MIN)
        for s in ws.secrets:
            tt += self.rng.randint(1 * MIN, 6 * MIN)
            self.at(tt, lambda t2, s=s: self.create_secret(t2, s, admin))
        for i in ws.integrations:
            tt += self.rng.randint(3 * MIN, 40 * MIN)
            self.at(tt, lambda t2, i=i: self.connect_integration(t2, i, admin))
        for k in ws.keys:
            tt += self.rng.randint(5 * MIN, 90 * MIN)
            self.at(tt, lambda t2, k=k: self.create_key(t2, k, admin))
        for a in ws.agents:
            tt += self.rng.randint(2 * HOUR, 30 * HOUR)
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
        old = self.rng.choice(old_keys)
        new = self.new_key(ws, old.name, old.kind, alive=False)
        new.ips, new.ua = old.ips, old.ua
        self.create_key(t, new, user)

        def revoke_old(t2: int) -> None:
            who = user if user.active else self.pick_user(org, org.admins())
            if old.alive and who is not None:
                self.revoke_key(t2, old, who, "rotated")

        self.at(t + self.rng.randint(20 * MIN, 2 * DAY), revoke_old)
        return True

    def h_workspace_api_key_used(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        keys = ws.live_keys()
        if not keys:
            return False
        key = self.rng.weighted([(k, 3 if k.kind == "service" else 1) for k in keys])
        endpoint = self.rng.weighted(KEY_ENDPOINTS[key.kind])
        status = self.rng.weighted(
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
                duration_ms=int(self.rng.lognorm(140, 0.7)),
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
        key = self.rng.choice(keys)
        self.rate_limited(t, key, self.rng.choice(key.ips), key.ua)
        return True

    def rate_limited(
        self, t: int, key: ApiKey, ip: str, ua: str, observed: int | None = None, **extra: Any
    ) -> None:
        limit = {"production": 600, "staging": 120, "development": 60}[key.ws.env]
        observed = observed or int(limit * self.rng.uniform(1.05, 1.6))
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
                "retry_after_s": self.rng.randint(5, 50),
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
        self.create_secret(
            t, Secret(ws, self.rng.short_id("sec", 10), self.rng.choice(options)), user
        )
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
        secret = self.rng.choice(secrets)
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
        secret = self.rng.choice(secrets)
        if stream == "human":
            user = self.ws_editor(ws)
            if user is None:
                return False
            actor, meta = user.actor, self.user_meta(t, user, purpose="revealed in console")
        elif self.rng.random() < 0.55:
            keys = ws.live_keys("iac") + ws.live_keys("ci")
            if not keys:
                return False
            key = self.rng.choice(keys)
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
        secret = self.rng.choice(secrets)
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
        self.connect_integration(
            t, Integration(ws, self.rng.short_id("int", 10), self.rng.choice(options)), user
        )
        return True

    def h_integration_removed(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        user = ws and self.ws_editor(ws)
        if not ws or not user:
            return False
        live = [i for i in ws.integrations if i.alive]
        if len(live) < 2:
            return False
        integ = self.rng.choice(live)
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
                reason=self.rng.choice(
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
        integ = self.rng.choice(live)
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
                records_synced=int(self.rng.lognorm(140, 1.2)),
                duration_ms=int(self.rng.lognorm(3800, 0.6)),
            ),
        )
        return True

    def sync_failed(self, t: int, integ: Integration, code: str | None = None) -> None:
        err = next((e for e in SYNC_ERRORS if e[0] == code), None) or self.rng.choice(SYNC_ERRORS)
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
                duration_ms=int(self.rng.lognorm(60000 if err[0] == "TIMEOUT" else 900, 0.3)),
                retry_in_s=self.rng.choice([60, 300, 900]),
            ),
        )
        if err[0] == "AUTH_EXPIRED" and not integ.broken:
            integ.broken = True

            def fix(t2: int) -> None:
                user = self.ws_editor(ws)
                if integ.alive and integ.broken and user is not None:
                    self.connect_integration(t2, integ, user, reconnect=True)

            self.at(t + int(self.rng.lognorm(10 * HOUR, 0.7)), fix)

    def h_integration_sync_failed(self, t: int, org: Org, stream: str) -> bool:
        ws = self.pick_ws(org)
        if ws is None:
            return False
        live = [i for i in ws.integrations if i.alive]
        if not live:
            return False
        self.sync_failed(t, self.rng.choice(live))
        return True
