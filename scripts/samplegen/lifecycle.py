"""The planned lifecycle of the window: workspaces created, Initech's onboarding, hires and
departures, Acme requiring MFA and Globex enforcing SSO.
"""

from __future__ import annotations

from .base import SimBase
from .clock import HOUR, MIN, SEC
from .vocabulary import INITECH_ONBOARD_DAYS


class Lifecycle(SimBase):
    def schedule_lifecycle(self) -> None:
        acme, globex, initech = self.org("acme"), self.org("globex"), self.org("initech")

        # Workspaces created inside the window (Initech's two first ones at onboarding).
        for org in self.orgs:
            for ws in org.workspaces:
                if ws.created_days_ago is None:
                    continue
                days = ws.created_days_ago
                onboarding = days == INITECH_ONBOARD_DAYS
                t0 = self.day_at(
                    org,
                    days,
                    9 if onboarding else 10,
                    40 if onboarding else self.rng.randint(0, 50),
                )
                owner = next(u for u in org.users if u.role == "owner")
                creator = (
                    owner
                    if org is initech
                    else (
                        self.user(org, "Marcus Webb")
                        if org is acme
                        else self.user(org, "Katrin Vogel")
                    )
                )
                self.at(
                    t0 + (10 * MIN if ws.name == "Internal Tools" else 0),
                    lambda t, ws=ws, c=creator: self.create_workspace(t, ws, c),
                )

        # Initech onboarding: owner logs in, configures the org, invites people in batches.
        owner = self.user(initech, "Bill Lumbergh")
        t0 = initech.onboard_t

        def onboard(t: int) -> None:
            owner.active = True
            self.login(t, owner, "password")

        self.at(t0 + self.j(5 * MIN), onboard)
        self.at(
            t0 + self.j(25 * MIN),
            lambda t: self.org_setting(
                t, owner, {"require_mfa": True, "session_timeout_minutes": 240}
            ),
        )
        self.at(t0 + 2 * HOUR, lambda t: self.mfa_enable(t, owner))
        invitees = [u for u in initech.users if u is not owner]
        batch1, batch2 = invitees[:7], invitees[7:]
        wss = [w for w in initech.workspaces if w.created_days_ago == INITECH_ONBOARD_DAYS]
        tt = t0 + 3 * HOUR
        for u in batch1:
            tt += self.rng.randint(30 * SEC, 3 * MIN)
            self.at(tt, lambda t, u=u: self.invite(t, owner, u, wss))
        self.at(
            self.day_at(initech, 101, 15, 5),
            lambda t: self.h_sso_configuration_updated(t, initech, "human"),
        )
        tt = self.day_at(initech, 80, 10, 20)
        samir = self.user(initech, "Samir Nagheenanajar")
        for u in batch2[:-1]:
            tt += self.rng.randint(1 * MIN, 5 * MIN)
            self.at(tt, lambda t, u=u: self.invite(t, samir, u, wss))
        self.at(self.day_at(initech, 35, 11, 2), lambda t: self.invite(t, samir, batch2[-1], wss))

        # Hires and departures at Acme and Globex: the last few people of each list start
        # inactive and are invited during the window.
        for org, admin_name, hires, leavers in (
            (acme, "Marcus Webb", [90, 52, 23], [63]),
            (globex, "Katrin Vogel", [70, 15], [35]),
        ):
            admin = self.user(org, admin_name)
            new_people = org.users[-len(hires) :]
            for u, days in zip(new_people, hires, strict=True):
                u.active = False
                for ws in org.workspaces:
                    if u in ws.members:
                        ws.members.remove(u)
                targets = [w for w in org.workspaces if w.env == "production"][:2]
                self.at(
                    self.day_at(org, days, 10, self.rng.randint(0, 59)),
                    lambda t, u=u, a=admin, ws=targets: self.invite(t, a, u, ws),
                )
            for days in leavers:
                candidates = [u for u in org.users[5 : -len(hires)] if u.role == "developer"]
                leaver = self.rng.choice(candidates)
                self.at(
                    self.day_at(org, days, 16, self.rng.randint(0, 59)),
                    lambda t, a=admin, u=leaver: self.remove_user(t, a, u),
                )

        # Acme turns on required MFA mid-window; Globex enforces SSO.
        self.at(
            self.day_at(acme, 78, 11, 14),
            lambda t: self.org_setting(t, self.user(acme, "Dana Whitfield"), {"require_mfa": True}),
        )

        def enforce_sso(t: int) -> None:
            admin = self.user(globex, "Hank Scorpio")
            globex.sso["enforce_sso"] = True
            self.emit(
                t,
                "SSO Configuration Updated",
                {"type": "sso_connection", "id": globex.sso["id"], "name": globex.sso["name"]},
                globex,
                None,
                admin.actor,
                self.user_meta(
                    t,
                    admin,
                    changes={"before": {"enforce_sso": False}, "after": {"enforce_sso": True}},
                ),
            )

        self.at(self.day_at(globex, 49, 9, 31), enforce_sso)
