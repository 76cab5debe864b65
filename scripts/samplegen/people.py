"""Handlers for people and the organization: logins, MFA, roles, invitations and removals,
workspace membership, organization settings, SSO, policies and audit-log exports.
"""

from __future__ import annotations

from typing import Any

from .base import SimBase
from .clock import DAY, HOUR, MIN, SEC
from .entities import Org, User, Workspace
from .vocabulary import LOGIN_FAIL_REASONS, MODELS


class PeopleEvents(SimBase):
    def login(self, t: int, user: User, method: str | None = None) -> None:
        org = user.org
        if method is None:
            method = (
                "saml"
                if org.sso["enforce_sso"]
                else self.rng.choice(["password", "password", "google", "saml"])
            )
        user.session = self.rng.short_id("ses", 10)
        self.emit(
            t,
            "User Login",
            user.resource,
            org,
            None,
            user.actor,
            self.user_meta(t, user, auth_method=method, mfa=user.mfa, geo=self.geo(user)),
        )
        if self.rng.random() < 0.3:
            dur = int(self.rng.lognorm(2.5 * HOUR, 0.8))
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
        reason = self.rng.weighted(LOGIN_FAIL_REASONS)
        meta = self.user_meta(t, user, reason=reason, attempt=1, geo=self.geo(user))
        meta.pop("session_id", None)
        self.emit(t, "User Login Failed", user.resource, org, None, user.actor, meta)
        if self.rng.random() < 0.8:
            self.at(t + self.rng.randint(20 * SEC, 4 * MIN), lambda t2: self.login(t2, user))
        return True

    def h_mfa_enabled(self, t: int, org: Org, stream: str) -> bool:
        pool = [u for u in org.active_users() if not u.mfa]
        if not pool:
            return False
        user = self.rng.choice(pool)
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
            self.user_meta(t, user, method=self.rng.choice(["totp", "totp", "webauthn"])),
        )

    def h_mfa_disabled(self, t: int, org: Org, stream: str) -> bool:
        if org.settings["require_mfa"]:
            return False
        pool = [u for u in org.active_users() if u.mfa and u.role not in ("owner",)]
        if not pool:
            return False
        user = self.rng.choice(pool)
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
            t + self.rng.randint(1 * HOUR, 3 * DAY),
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
        self.at(t + self.rng.randint(1 * MIN, 6 * MIN), lambda t2: self.login(t2, user, "password"))
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
        user = self.rng.choice(pool)
        self.change_role(t, admin, user, self.rng.choice(promos[user.role]))
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
        inv = self.rng.short_id("inv", 10)
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
        delay = int(self.rng.lognorm(9 * HOUR, 1.0))
        delay = max(10 * MIN, min(delay, 70 * HOUR))

        def join(t2: int) -> None:
            user.active = True
            method = (
                "saml" if user.org.sso["enforce_sso"] else self.rng.choice(["password", "google"])
            )
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
            if not user.mfa and (user.org.settings["require_mfa"] or self.rng.random() < 0.6):
                self.at(
                    t2 + self.rng.randint(2 * MIN, 40 * MIN), lambda t3: self.mfa_enable(t3, user)
                )

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
            self.user_meta(t, admin, reason="offboarding", sessions_revoked=self.rng.randint(1, 3)),
        )
        self.at(
            t + self.rng.randint(14 * HOUR, 40 * HOUR),
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
        user = self.rng.choice(pool)
        ws.members.append(user)
        role = (
            "viewer" if user.role == "viewer" else self.rng.choice(["editor", "editor", "viewer"])
        )
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
        user = self.rng.choice(pool)
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
            ("session_timeout_minutes", self.rng.choice([120, 240, 480, 720])),
            ("audit_log_retention_days", self.rng.choice([180, 365, 730])),
        ]
        if not s["require_mfa"]:
            options += [("require_mfa", True)] * 2
        options.append(("ip_allowlist_enabled", not s["ip_allowlist_enabled"]))
        fieldname, value = self.rng.choice(options)
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
        if not sso["enforce_sso"] and self.rng.random() < 0.6:
            changes = {"before": {"enforce_sso": False}, "after": {"enforce_sso": True}}
            sso["enforce_sso"] = True
        else:
            old, new = f"{self.rng.getrandbits(32):08x}", f"{self.rng.getrandbits(32):08x}"
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
        pol = self.rng.choice(org.policies)
        before = pol["value"]
        if pol["field"] == "mode":
            after: Any = "block" if before == "mask" else "mask"
        elif pol["field"] == "threshold":
            after = round(
                min(0.95, max(0.5, before + self.rng.choice([-0.1, -0.05, 0.05, 0.1]))), 2
            )
        elif pol["field"] == "limit_usd":
            after = before + self.rng.choice([-1000, 1000, 2500, 5000]) if before > 1000 else 2500
        else:
            extra = [m for m in MODELS if m not in before]
            if extra and (len(before) < 3 or self.rng.random() < 0.6):
                after = sorted(before + [self.rng.choice(extra)])
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
        self.export(t, user, self.rng.choice([7, 30, 30, 90]), None)
        return True

    def export(self, t: int, user: User, days: int, filters: dict[str, Any] | None) -> None:
        meta = self.user_meta(
            t,
            user,
            format=self.rng.choice(["csv", "jsonl"]),
            range_days=days,
            event_count=int(days * self.rng.uniform(90, 140) * user.org.share * 2),
        )
        if filters:
            meta["filters"] = filters
            meta["event_count"] = self.rng.randint(60, 400)
        self.emit(
            t,
            "Audit Log Exported",
            {"type": "audit_log", "id": self.rng.short_id("exp", 10), "name": "Audit log export"},
            user.org,
            None,
            user.actor,
            meta,
        )
