"""The rhythms of the background: time of day and day of week in each organization's own time
zone, slow growth over the window, and how many background events each stream gets.

* *human* (console work): strong working-hours and weekday rhythm;
* *traffic* (API keys and users invoking agents): a softer rhythm;
* *machine* (schedulers, syncs, health checks): nearly flat.

The bursts (an incident, a leaked key abused for an hour) are stories, in ``stories.py``.
"""

from __future__ import annotations

from .clock import DAY, END, HOUR, NOTIONAL_OPEN, START, WEEK

BACKGROUND_TARGET = {"traffic": 6300, "human": 4250, "machine": 2250}

HUMAN_HOURLY = [
    0.03,
    0.02,
    0.02,
    0.02,
    0.03,
    0.06,
    0.15,
    0.35,
    0.75,
    1.0,
    1.0,
    0.95,
    0.7,
    0.85,
    1.0,
    0.95,
    0.85,
    0.6,
    0.35,
    0.22,
    0.18,
    0.14,
    0.09,
    0.05,
]
HUMAN_WEEKDAY = [1.0, 1.05, 1.05, 1.0, 0.85, 0.1, 0.07]


def local_clock(t: int, tz: int) -> tuple[int, int]:
    x = (NOTIONAL_OPEN + t + tz * HOUR) % WEEK
    return int((x % DAY) // HOUR), int(x // DAY)


def intensity(stream: str, t: int, tz: int) -> float:
    hour, wd = local_clock(t, tz)
    h = HUMAN_HOURLY[hour]
    if stream == "human":
        return h * HUMAN_WEEKDAY[wd]
    if stream == "traffic":
        return (0.3 + 0.7 * h) * (0.45 if wd >= 5 else 1.0)
    return (0.7 + 0.3 * h) * (0.85 if wd >= 5 else 1.0)


def growth(t: int) -> float:
    return 0.78 + 0.44 * (t - START) / (END - START)
