"""The query: an immutable value shared by the command line, the browser and the remote API.

``Query`` holds what the user asked for (search text, a period or a custom range, facet
selections). Relative times (``7d``, ``yesterday``) stay relative in the value and are resolved
against a ``now`` when the query is run, so a fixed ``now`` gives reproducible answers in tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, AnyStr

from audit_tui import searchlang
from audit_tui.model import datetime_ms, iso_ms
from audit_tui.safe import clean

PERIODS: dict[str, str] = {
    "all": "All time",
    "1h": "Last 1 hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
}
FACETS = ("actors", "event_types", "workspaces")
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def period_ms(period: str) -> int | None:
    """The length of a rolling period (``1h``, ``24h``, ``7d``...) in ms; None for ``all`` and
    ``custom``."""
    if period in ("all", "custom") or period not in PERIODS:
        return None
    unit = HOUR_MS if period.endswith("h") else DAY_MS
    return int(period[:-1]) * unit


class QueryError(ValueError):
    """A query that cannot be run; the message says what is wrong and how to write it."""


_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*(?:ago)?\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_DATE_ONLY = re.compile(r"^\s*\d{4}-?\d{2}-?\d{2}\s*$")  # 2026-11-20 or 20261120


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_when(spec: str, now: datetime, *, end: bool = False) -> datetime:
    """An absolute UTC time for ``spec``.

    ISO dates and datetimes with or without offset (naive = UTC), relative forms (``3d``,
    ``12h``, ``30m``, ``2w``, ``yesterday``, ``today``, ``now``) and what python-dateutil
    parses. With ``end=True`` a date alone means the end of that day (the next midnight).
    """
    text = spec.strip()
    low = text.lower()
    if not text:
        raise QueryError("empty time: give a date such as 2026-11-20, a time, or 3d / 12h / now")
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if low == "now":
        return now.astimezone(UTC)
    if low in ("today", "yesterday"):
        day = midnight - timedelta(days=1 if low == "yesterday" else 0)
        return day + timedelta(days=1) if end else day
    m = _RELATIVE.match(text)
    if m:
        seconds = float(m.group(1)) * _UNIT_S[m.group(2).lower()]
        return now.astimezone(UTC) - timedelta(seconds=seconds)
    date_only = bool(_DATE_ONLY.match(text))
    try:
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            dt = _dateutil(text, now.astimezone(UTC))
            date_only = date_only or _dateutil_is_date_only(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        dt = dt.astimezone(UTC)
    except QueryError:
        raise
    except (ValueError, OverflowError) as exc:  # an offset past ±24 h, a year out of range
        reason = str(exc).split(";")[0].rstrip(".")
        raise QueryError(
            f"bad time {clean(text, 80)!r}: {clean(reason, 120)}; use e.g. 2026-11-20, "
            "2026-11-20T14:00:00+02:00 (offsets within ±24 h) or 3d"
        ) from None
    if end and date_only:
        dt += timedelta(days=1)
    return dt


def _dateutil(text: str, now: datetime) -> datetime:
    """dateutil's reading of ``text``; a missing day is the 1st, a missing month January, a
    missing year this year, and a time alone ("10:00") is today."""
    from dateutil import parser

    try:
        a = parser.parse(text, default=datetime(2000, 1, 1))
        b = parser.parse(text, default=datetime(2004, 3, 3))  # both leap years: Feb 29 reads
        if a.year != b.year and a.month != b.month and a.day != b.day:
            return a.replace(year=now.year, month=now.month, day=now.day)
        if a.year != b.year:
            return a.replace(year=now.year)  # Feb 29 in a year without one: ValueError
    except (ValueError, OverflowError) as exc:
        raise QueryError(
            f"cannot read the time {text!r}: use 2026-11-20, 2026-11-20T14:00Z, 3d, 12h, "
            "yesterday or now"
        ) from exc
    return a


def _dateutil_is_date_only(text: str) -> bool:
    from dateutil import parser

    a = parser.parse(text, default=datetime(2000, 1, 1, 0, 0, 0))
    b = parser.parse(text, default=datetime(2000, 1, 1, 13, 37, 42))
    return a != b and a.time() == datetime.min.time()


def _words(text: str) -> tuple[str, ...]:
    seen: list[str] = []
    for word in text.lower().split():
        if word not in seen:
            seen.append(word)
    return tuple(seen)


def _norm_set(values: Any) -> frozenset[str]:
    if not values:
        return frozenset()
    if isinstance(values, str):
        values = [values]
    return frozenset(str(v) for v in values)


@dataclass(frozen=True)
class Window:
    """Absolute bounds in epoch ms: ``since`` inclusive, ``until`` exclusive; None = open."""

    since: int | None
    until: int | None

    def describe(self) -> dict[str, str | None]:
        return {
            "since": iso_ms(self.since) if self.since is not None else None,
            "until": iso_ms(self.until) if self.until is not None else None,
        }


@dataclass(frozen=True)
class Query:
    """What to show: all conditions combine with AND; values within one facet with OR."""

    text: str = ""
    period: str = "all"
    since: str | None = None
    until: str | None = None
    actors: frozenset[str] = field(default_factory=frozenset)
    event_types: frozenset[str] = field(default_factory=frozenset)
    workspaces: frozenset[str] = field(default_factory=frozenset)
    # the parsed search text (see searchlang), derived from ``text``
    expr: searchlang.Expr = field(default=searchlang.EMPTY, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.period not in PERIODS and self.period != "custom":
            raise QueryError(
                f"unknown period {self.period!r}: use one of {', '.join(PERIODS)} "
                "(or --since/--until for a custom range)"
            )
        for name in FACETS:
            object.__setattr__(self, name, _norm_set(getattr(self, name)))
        since = self.since.strip() if self.since else None
        until = self.until.strip() if self.until else None
        object.__setattr__(self, "since", since or None)
        object.__setattr__(self, "until", until or None)
        if (self.since or self.until) and self.period not in ("all", "custom"):
            raise QueryError("give either a period or a custom range (--since/--until), not both")
        if self.since or self.until:
            object.__setattr__(self, "period", "custom")
        elif self.period == "custom":
            object.__setattr__(self, "period", "all")
        self.window(utcnow())  # validate now: a bad time or an inverted range fails early
        try:
            expr = searchlang.parse(self.text, lambda spec: parse_when(spec, utcnow()))
            object.__setattr__(self, "expr", expr)
        except searchlang.SearchError as exc:
            raise QueryError(str(exc)) from None

    # -- derived -------------------------------------------------------------------------

    @property
    def plain(self) -> bool:
        """The search text is plain words only (or nothing): the word-only paths apply."""
        return searchlang.is_plain(self.expr)

    @property
    def words(self) -> tuple[str, ...]:
        """The text split on whitespace, lower-cased: the words of a plain search."""
        return _words(self.text)

    @property
    def required_words(self) -> tuple[str, ...]:
        """Words every match holds in some value (for prefilters): all the words of a plain
        search; for the language, its top-level plain words."""
        if self.plain:
            return _words(self.text)
        return searchlang.required_words(self.expr)

    def window(self, now: datetime) -> Window:
        length = period_ms(self.period)
        if length is not None:
            end = datetime_ms(now.astimezone(UTC)) + 1  # "ending now": now itself is inside
            return Window(end - 1 - length, end)
        if self.period == "custom":
            since = datetime_ms(parse_when(self.since, now)) if self.since else None
            until = datetime_ms(parse_when(self.until, now, end=True)) if self.until else None
            if since is not None and until is not None and until <= since:
                raise QueryError(
                    f"the range ends before it starts: until {iso_ms(until)} is not after "
                    f"since {iso_ms(since)}"
                )
            return Window(since, until)
        return Window(None, None)

    def facet(self, name: str) -> frozenset[str]:
        return getattr(self, name)  # type: ignore[no-any-return]

    def with_(self, **changes: Any) -> Query:
        return replace(self, **changes)

    def without_facet(self, name: str) -> Query:
        changes: dict[str, Any] = {name: frozenset()}
        return replace(self, **changes)

    @property
    def is_empty(self) -> bool:
        return self == Query()

    def describe(self, now: datetime) -> dict[str, Any]:
        """The query in full, times absolute (for manifests and logs)."""
        window = self.window(now)
        return {
            "text": self.text,
            "period": self.period,
            "since": self.since,
            "until": self.until,
            "window_utc": window.describe(),
            "actors": sorted(self.actors),
            "event_types": sorted(self.event_types),
            "workspaces": sorted(self.workspaces),
        }

    def summary(self) -> str:
        """A short form of the active conditions, for status lines."""
        parts: list[str] = []
        if self.text:
            parts.append(f'"{self.text}"')
        if self.period == "custom":
            parts.append(f"{self.since or '…'} → {self.until or '…'}")
        elif self.period != "all":
            parts.append(self.period)
        for name, label in (("actors", "actor"), ("event_types", "type"), ("workspaces", "ws")):
            values = sorted(self.facet(name))
            if values:
                shown = ", ".join(values[:2]) + (f" +{len(values) - 2}" if len(values) > 2 else "")
                parts.append(f"{label}: {shown}")
        return " · ".join(parts)


def extends(new: Sequence[AnyStr], old: Sequence[AnyStr]) -> bool:
    """True when every event matching ``new`` words also matches ``old`` (narrowing is safe)."""
    return bool(old) and all(any(o in n for n in new) for o in old)
