"""The generator of the bundled demo dataset ``src/audit_tui/data/sample.jsonl.xz``.

The sample is the audit log of "Control Room", an AI-agent management platform: three
organizations, a dozen workspaces, ~60 people plus system accounts and API keys, ~40 event
types over the ~120 days before the moment the sample is opened.

The generator is deterministic (fixed seed, stdlib only): running it twice produces the same
JSON lines.  It is a small discrete-event simulation:

* background activity is drawn hour by hour per organization from three streams -- *human*
  (console work: logins, config changes, deployments; strong working-hours / weekday rhythm in
  the organization's own time zone), *traffic* (API keys and users invoking agents; a softer
  rhythm) and *machine* (schedulers, syncs, health checks; nearly flat) -- with slight growth;
* entity state (agent versions and config, user roles and MFA, secret versions, keys, broken
  integrations, ...) is kept so that before/after ``changes`` and lifecycles are consistent;
* a few scripted stories are placed in the last 30 days: a leaked API key (last 7 days), a
  failed deployment that gets rolled back, a one-hour incident burst, and a brute-force login.

Storage format (see ``audit_tui.sources.sample``): compact JSON, one event per line, oldest
first, every field in the native shape except ``audited_at``, which is stored as an integer
number of milliseconds relative to the moment the sample is opened (negative; the newest event
is a few minutes before that moment).  The loader turns it into an ISO-8601 UTC string.

Rhythms are computed against a notional clock in which the sample is opened on a Thursday at
15:42 UTC; times are shifted wholesale when loaded, so the rhythm lines up exactly only when
the sample is opened at that time of week.

Where things are
----------------
* ``vocabulary.py``  names, places, models, the workspace plan: data only
* ``entities.py``    the records: Org, Workspace, Agent, Integration, Secret, ApiKey, User, System
* ``clock.py``       time units, the window, the notional opening moment
* ``dice.py``        the seeded randomness (ids, weighted picks, Poisson counts)
* ``rhythms.py``     time of day, day of week, growth, the size of each background stream
* ``base.py``        the simulation's state and plumbing (schedule, emit, request metadata)
* ``world.py``       building the world at the start and picking from it
* ``background.py``  the hour-by-hour background drawn from the rhythms
* ``people.py``, ``workspaces.py``, ``agents.py``, ``alerts.py``
                     the event handlers, by what they are about
* ``lifecycle.py``   planned changes: new workspaces, onboarding, hires and departures
* ``stories.py``     the four scripted stories
* ``sim.py``         all of it together, run in time order; ``generate(seed)``
* ``cli.py``         JSON lines, xz, the command line

Run it with ``python scripts/gen_sample.py [--out PATH] [--seed N] [--stats]``.  It is a
development tool: the application never imports it, it only reads the file it writes.
"""

from .cli import compress, dumps, main
from .sim import SEED, Sim, generate

__all__ = ["SEED", "Sim", "compress", "dumps", "generate", "main"]
