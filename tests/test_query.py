"""The query value: time forms, windows and their edges, facets, words, validation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from audit_tui.query import DAY_MS, PERIODS, Query, QueryError, Window, extends, parse_when

NOW = datetime(2026, 11, 20, 12, 30, 15, 123456, tzinfo=UTC)
NOW_MS = 1795177815123  # NOW in epoch ms (sub-ms digits cut)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def to_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def test_now_constant() -> None:
    assert to_ms(NOW) == NOW_MS


# -- parse_when: every time form -------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, since, until",
    [
        # ISO dates: a date alone as until is the end of that day (the next midnight)
        ("2026-11-19", utc(2026, 11, 19), utc(2026, 11, 20)),
        ("20261119", utc(2026, 11, 19), utc(2026, 11, 20)),
        ("  2026-11-19 ", utc(2026, 11, 19), utc(2026, 11, 20)),
        # ISO datetimes: naive = UTC, offsets converted to UTC, Z
        ("2026-11-19T10:00", utc(2026, 11, 19, 10), utc(2026, 11, 19, 10)),
        ("2026-11-19T10:00:00", utc(2026, 11, 19, 10), utc(2026, 11, 19, 10)),
        ("2026-11-19 10:00:00", utc(2026, 11, 19, 10), utc(2026, 11, 19, 10)),
        ("2026-11-19T10:00Z", utc(2026, 11, 19, 10), utc(2026, 11, 19, 10)),
        (
            "2026-11-19T10:00:00.250Z",
            utc(2026, 11, 19, 10, 0, 0, 250000),
            utc(2026, 11, 19, 10, 0, 0, 250000),
        ),
        ("2026-11-19T10:00+02:00", utc(2026, 11, 19, 8), utc(2026, 11, 19, 8)),
        ("2026-11-19T01:00+05:00", utc(2026, 11, 18, 20), utc(2026, 11, 18, 20)),
        ("2026-11-19T22:00-05:00", utc(2026, 11, 20, 3), utc(2026, 11, 20, 3)),
        # an explicit midnight is a time, not a date: not moved to the end of the day
        ("2026-11-19T00:00:00", utc(2026, 11, 19), utc(2026, 11, 19)),
        # relative forms count back from now
        ("now", NOW, NOW),
        ("NOW", NOW, NOW),
        ("3d", NOW - timedelta(days=3), NOW - timedelta(days=3)),
        ("3d ago", NOW - timedelta(days=3), NOW - timedelta(days=3)),
        ("12h", NOW - timedelta(hours=12), NOW - timedelta(hours=12)),
        ("30m", NOW - timedelta(minutes=30), NOW - timedelta(minutes=30)),
        ("30min", NOW - timedelta(minutes=30), NOW - timedelta(minutes=30)),
        ("90s", NOW - timedelta(seconds=90), NOW - timedelta(seconds=90)),
        ("2w", NOW - timedelta(weeks=2), NOW - timedelta(weeks=2)),
        ("1.5h", NOW - timedelta(minutes=90), NOW - timedelta(minutes=90)),
        ("0d", NOW, NOW),
        # named days: since = its start, until = its end
        ("today", utc(2026, 11, 20), utc(2026, 11, 21)),
        ("yesterday", utc(2026, 11, 19), utc(2026, 11, 20)),
        ("Yesterday", utc(2026, 11, 19), utc(2026, 11, 20)),
        # dateutil forms
        ("Nov 19 2026", utc(2026, 11, 19), utc(2026, 11, 20)),
        ("19 November 2026 10:00", utc(2026, 11, 19, 10), utc(2026, 11, 19, 10)),
        ("Nov 19 2026 10:00 +0200", utc(2026, 11, 19, 8), utc(2026, 11, 19, 8)),
        # what dateutil text leaves out comes from now: the year, or the whole day
        ("Nov 19", utc(2026, 11, 19), utc(2026, 11, 20)),
        ("10:00", utc(2026, 11, 20, 10), utc(2026, 11, 20, 10)),
        ("10:00 +02:00", utc(2026, 11, 20, 8), utc(2026, 11, 20, 8)),
    ],
)
def test_parse_when(spec: str, since: datetime, until: datetime) -> None:
    assert parse_when(spec, NOW) == since
    assert parse_when(spec, NOW, end=True) == until
    assert parse_when(spec, NOW).tzinfo is not None
    assert parse_when(spec, NOW).utcoffset() == timedelta(0)


def test_parse_when_uses_the_utc_day_of_now() -> None:
    # 2026-11-21 01:00 in UTC+10 is still the 20th in UTC
    local_now = datetime(2026, 11, 21, 1, 0, tzinfo=timezone(timedelta(hours=10)))
    assert parse_when("today", local_now) == utc(2026, 11, 20)
    assert parse_when("now", local_now) == utc(2026, 11, 20, 15)


@pytest.mark.parametrize("spec", ["", "   ", "garbage!!", "3 parsecs", "Feb 29", "2026-02-30"])
def test_parse_when_rejects(spec: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_when(spec, NOW)
    message = str(info.value)
    assert "\n" not in message
    if spec.strip():
        assert repr(spec.strip()) in message  # says what it could not read
        assert "2026-11-20" in message  # ... and how to write it


# -- windows ---------------------------------------------------------------------------------


@pytest.mark.parametrize("period, days", [("7d", 7), ("30d", 30), ("90d", 90)])
def test_period_window(period: str, days: int) -> None:
    window = Query(period=period).window(NOW)
    # since inclusive: exactly N x 24h before now is in, 1 ms earlier is out
    assert window.since == NOW_MS - days * DAY_MS
    # until exclusive, just after now: now itself is in, 1 ms later (the future) is out
    assert window.until == NOW_MS + 1


def test_all_time_window() -> None:
    assert Query().window(NOW) == Window(None, None)
    assert Query(period="all").window(NOW) == Window(None, None)


def test_custom_window() -> None:
    q = Query(since="2026-11-19T10:00+02:00", until="2026-11-19")
    assert q.period == "custom"
    assert q.window(NOW) == Window(to_ms(utc(2026, 11, 19, 8)), to_ms(utc(2026, 11, 20)))
    assert Query(since="2026-11-19").window(NOW) == Window(to_ms(utc(2026, 11, 19)), None)
    assert Query(until="2026-11-19").window(NOW) == Window(None, to_ms(utc(2026, 11, 20)))
    # one day: since and until the same date
    assert Query(since="2026-11-19", until="2026-11-19").window(NOW) == Window(
        to_ms(utc(2026, 11, 19)), to_ms(utc(2026, 11, 20))
    )


def test_relative_window_follows_now() -> None:
    q = Query(since="3d")
    later = NOW + timedelta(hours=5)
    assert q.window(NOW).since == NOW_MS - 3 * DAY_MS
    assert q.window(later).since == NOW_MS - 3 * DAY_MS + 5 * 3_600_000


def test_window_describe() -> None:
    assert Query(period="7d").describe(NOW)["window_utc"] == {
        "since": "2026-11-13T12:30:15.123Z",
        "until": "2026-11-20T12:30:15.124Z",
    }


@pytest.mark.parametrize(
    "since, until",
    [
        ("2026-11-20", "2026-11-19"),  # until (end of the 19th) is the start of the 20th
        ("2026-11-20T10:00", "2026-11-20T10:00"),  # an empty range
        ("2026-11-20T10:00", "2026-11-20T09:59:59.999"),
        ("2026-11-20T10:00+02:00", "2026-11-20T07:00Z"),
    ],
)
def test_inverted_range(since: str, until: str) -> None:
    with pytest.raises(QueryError) as info:
        Query(since=since, until=until)
    message = str(info.value)
    assert "ends before it starts" in message
    assert "until" in message and "since" in message
    assert "\n" not in message


def test_inverted_relative_range() -> None:
    with pytest.raises(QueryError, match="ends before it starts"):
        Query(since="1d", until="3d")  # 1 day ago .. 3 days ago


def test_period_and_range_conflict() -> None:
    with pytest.raises(QueryError, match="not both"):
        Query(period="7d", since="2026-11-19")


def test_unknown_period() -> None:
    with pytest.raises(QueryError) as info:
        Query(period="1d")
    for name in PERIODS:
        assert name in str(info.value)


def test_custom_without_range_is_all() -> None:
    assert Query(period="custom").period == "all"
    assert Query(since="  ", until="").period == "all"
    assert Query(since="  ").since is None


def test_bad_time_fails_early() -> None:
    with pytest.raises(QueryError, match="cannot read the time"):
        Query(since="the day after tomorrow-ish")


# -- words, facets, immutability ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, words",
    [
        ("", ()),
        ("   ", ()),
        ("alice", ("alice",)),
        ("Alice LOGIN", ("alice", "login")),
        ("  alice \t login\n", ("alice", "login")),
        ("alice alice ALICE", ("alice",)),
        ("Zoë ÉCOLE", ("zoë", "école")),
        ('"quoted" a,b', ('"quoted"', "a,b")),
    ],
)
def test_words(text: str, words: tuple[str, ...]) -> None:
    assert Query(text=text).words == words


def test_facets_normalised() -> None:
    q = Query(actors=["alice", "bob"], event_types="user.login", workspaces=None)
    assert q.actors == frozenset({"alice", "bob"})
    assert q.event_types == frozenset({"user.login"})
    assert q.workspaces == frozenset()
    assert q.facet("actors") == q.actors
    assert q.without_facet("actors").actors == frozenset()
    assert Query(actors=["a", "b"]) == Query(actors=("b", "a"))
    assert hash(Query(actors=["a", "b"])) == hash(Query(actors=("b", "a")))


def test_query_is_immutable() -> None:
    q = Query(text="alice")
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.text = "bob"  # type: ignore[misc]
    r = q.with_(text="bob", period="7d")
    assert (q.text, q.period) == ("alice", "all")
    assert (r.text, r.period) == ("bob", "7d")
    with pytest.raises(QueryError):
        q.with_(period="forever")


def test_is_empty_and_summary() -> None:
    assert Query().is_empty
    assert not Query(text="x").is_empty
    s = Query(
        text="alice", period="7d", actors=["a", "b", "c"], event_types=["user.login"]
    ).summary()
    assert '"alice"' in s and "7d" in s and "actor: a, b +1" in s and "type: user.login" in s
    assert "2026-11-19" in Query(since="2026-11-19").summary()


def test_describe() -> None:
    d = Query(text="x", since="2026-11-19", actors=["b", "a"]).describe(NOW)
    assert d["period"] == "custom"
    assert d["actors"] == ["a", "b"]
    assert d["window_utc"] == {"since": "2026-11-19T00:00:00.000Z", "until": None}


def test_extends() -> None:
    assert extends(("alice",), ("ali",))
    assert extends(("alice", "login"), ("ali",))
    assert not extends(("ali",), ("alice",))
    assert not extends(("alice",), ())
    assert not extends(("bob",), ("ali",))


# -- the same edges, run by the store ---------------------------------------------------------


def test_store_applies_window_edges(open_store) -> None:
    from audit_tui.model import iso_ms

    def ev(id: str, at_ms: int) -> dict:
        return {"id": id, "audited_at": iso_ms(at_ms), "event_type": "x"}

    week = 7 * DAY_MS
    store = open_store(
        [
            ev("future", NOW_MS + 1),
            ev("now", NOW_MS),
            ev("week_edge", NOW_MS - week),
            ev("week_minus_1ms", NOW_MS - week - 1),
            ev("d19_last_ms", to_ms(utc(2026, 11, 20)) - 1),
            ev("d20_midnight", to_ms(utc(2026, 11, 20))),
            ev("d18_midnight", to_ms(utc(2026, 11, 18))),
            ev("d18_last_ms", to_ms(utc(2026, 11, 18)) - 1),
            ev("at_10_local", to_ms(utc(2026, 11, 19, 8))),
            ev("before_10_local", to_ms(utc(2026, 11, 19, 8)) - 1),
        ]
    )

    def ids(q: Query) -> set[str]:
        return {store.row(int(p)).id for p in store.search(q, NOW).positions}

    seven = ids(Query(period="7d"))
    assert {"now", "week_edge"} <= seven
    assert "week_minus_1ms" not in seven and "future" not in seven
    assert ids(Query()) == ids(Query(period="all")) and len(ids(Query())) == 10

    # a date alone as until takes in the whole day; since is inclusive
    assert ids(Query(since="2026-11-18", until="2026-11-19")) == {
        "d18_midnight",
        "d19_last_ms",
        "at_10_local",
        "before_10_local",
    }
    # until exclusive as a datetime
    assert "d20_midnight" not in ids(Query(until="2026-11-20T00:00:00Z"))
    assert "d19_last_ms" in ids(Query(until="2026-11-20T00:00:00Z"))
    # offsets are converted: 10:00+02:00 is 08:00Z
    assert ids(Query(since="2026-11-19T10:00+02:00", until="2026-11-19T10:00:00.001+02:00")) == {
        "at_10_local"
    }
    assert ids(Query(since="now")) == {"future", "now"}
