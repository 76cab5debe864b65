"""Time in the simulation: units, the window, and the notional moment the sample is opened.

A time ``t`` is an integer number of milliseconds relative to the moment the sample is opened
(negative: in the past).  The loader shifts the whole log so that this moment is "now".
"""

from __future__ import annotations

SEC = 1000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR
WEEK = 7 * DAY

SPAN_DAYS = 120
START = -SPAN_DAYS * DAY + 3 * HOUR  # oldest possible event, relative to the opening moment
END = -(3 * MIN + 17 * SEC)  # the newest event: a few minutes before the opening moment
# Notional opening moment, as ms since the Monday 00:00 UTC of its week (Thursday 15:42).
NOTIONAL_OPEN = 3 * DAY + 15 * HOUR + 42 * MIN
# Fixed epoch (ms) for the time component of the ULID-like event ids of t == 0.  Ids are
# stable across loads; they sort like the events but do not encode the shifted time.
ULID_ANCHOR_MS = 1_740_787_200_000  # 2025-03-01T00:00:00Z
