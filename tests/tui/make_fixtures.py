"""Write the browser's test fixtures (deterministic: run it again, get the same bytes).

    python tests/tui/make_fixtures.py

data/events.jsonl   240 ordinary events over the 120 days before FIXED_NOW (2026-11-20 12:00 UTC)
data/hostile.jsonl  events whose values try markup, escape sequences and bidi tricks, plus
                    three invalid lines (to be skipped and counted)
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent / "data"
FIXED_NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)

USERS = [
    ("usr_olga", "Olga Becker", "olga.becker@acme.com"),
    ("usr_ravi", "Ravi Thomas", "ravi.thomas@globex.io"),
    ("usr_mei", "Mei Lin", "mei.lin@acme.com"),
    ("usr_sam", "Sam Okafor", "sam.okafor@acme.com"),
    ("usr_ines", "Inês Duarte", "ines.duarte@globex.io"),
    ("usr_jon", "Jon Park", "jon.park@acme.com"),
]
MACHINES = [
    ("system", "sys_scheduler", "scheduler", None),
    ("system", "sys_sync", "directory-sync", None),
    ("api_key", "key_tf", "terraform", None),
    ("api_key", "key_ci", "ci-deployer", None),
]
ORGS = [("org_acme", "Acme Corp"), ("org_globex", "Globex Industries")]
WORKSPACES = [
    ("ws_prod", "Production"),
    ("ws_stage", "Staging"),
    ("ws_mkt", "Marketing"),
    ("ws_sup", "Support"),
    None,
]
EVENTS = [
    ("Agent Created", "agent"),
    ("Agent Deployed", "agent"),
    ("Agent Started", "agent"),
    ("Agent Stopped", "agent"),
    ("Agent Config Updated", "agent"),
    ("API Key Created", "api_key"),
    ("API Key Revoked", "api_key"),
    ("User Logged In", "user"),
    ("User Role Changed", "user"),
    ("Secret Rotated", "secret"),
    ("Workspace Created", "workspace"),
    ("Integration Failed", "integration"),
]
AGENTS = ["ticket-responder", "refund-copilot", "invoice-triage", "lead-scorer", "sre-helper"]


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def event(i: int, when: datetime, rnd: random.Random) -> dict:
    etype, rtype = rnd.choice(EVENTS)
    org = rnd.choice(ORGS)
    ws = rnd.choice(WORKSPACES)
    if rnd.random() < 0.7:
        uid, name, email = rnd.choice(USERS)
        actor = {"type": "user", "id": uid, "name": name, "email": email}
    else:
        kind, mid, name, _ = rnd.choice(MACHINES)
        actor = {"type": kind, "id": mid, "name": name, "email": None}
    rname = rnd.choice(AGENTS) if rtype == "agent" else f"{rtype}-{rnd.randint(1, 30):02d}"
    return {
        "id": f"evt_{i:05d}",
        "audited_at": iso(when),
        "event_type": etype,
        "resource": {"type": rtype, "id": f"{rtype[:3]}_{rnd.randint(1000, 9999)}", "name": rname},
        "organization": {"id": org[0], "name": org[1]},
        "workspace": None if ws is None else {"id": ws[0], "name": ws[1]},
        "actor": actor,
        "metadata": {
            "ip": f"10.0.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
            "request_id": f"req_{rnd.getrandbits(48):012x}",
        },
    }


def events() -> list[str]:
    rnd = random.Random(20261120)
    gaps = [rnd.randint(60, 1300) for _ in range(240)]
    span = timedelta(days=120) - timedelta(minutes=25)
    start = FIXED_NOW - timedelta(days=120)
    out = []
    elapsed = 0
    for i, gap in enumerate(gaps):
        elapsed += gap
        when = start + span * (elapsed / sum(gaps))
        when = when.replace(microsecond=(when.microsecond // 1000) * 1000)
        out.append(json.dumps(event(i, when, rnd), ensure_ascii=False))
    return out


HOSTILE_NAMES = [
    "[bold red]x[/]",
    "[@click=app.quit]click me[/]",
    "[/]",
    "\x1b]0;pwned title\x07",
    "\x1b[31mred\x1b[0m alert",
    "\x1b]52;c;ZXZpbCBjbGlwYm9hcmQ=\x07clip",
    "admin\u202egnp.exe\u202c",
    "nul\x00byte and del\x7f and c1\x9b",
    "zero\u200bwidth\ufeff",
    "wide 名前 🔑 emoji",
    "L" + "o" * 400 + "ng",
]


def hostile() -> list[str]:
    base = FIXED_NOW - timedelta(hours=30)
    out = []
    for i, name in enumerate(HOSTILE_NAMES):
        rec = {
            "id": f"bad_{i:02d}",
            "audited_at": iso(base + timedelta(hours=2 * i)),
            "event_type": ["Agent Deployed", "[/]", "Key \x1b[2J Created"][i % 3],
            "resource": {"type": "agent", "id": f"agt_{i}", "name": name},
            "organization": {"id": "org_evil", "name": "Evil [i]Corp[/i]"},
            "workspace": {"id": f"ws_{i % 2}", "name": ["[/]", "\x1b[5mblink"][i % 2]},
            "actor": {
                "type": ["user", "system", "api_key"][i % 3],
                "id": f"act_{i}",
                "name": name,
                "email": "x@[evil].com\x1b[0m",
            },
            "metadata": {"note": name, "osc": "\x1b]8;;http://evil/\x07link\x1b]8;;\x07"},
        }
        out.append(json.dumps(rec, ensure_ascii=False))
    out.insert(3, "this line is not JSON")
    out.insert(6, json.dumps({"id": "no_time", "event_type": "Agent Started"}))
    out.insert(9, '{"id": "truncated", "audited_at": "2026-11-19T00:00:00Z", "event_')
    return out


def main() -> None:
    HERE.mkdir(exist_ok=True)
    (HERE / "events.jsonl").write_text("\n".join(events()) + "\n", encoding="utf-8")
    (HERE / "hostile.jsonl").write_text("\n".join(hostile()) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
