"""The native event and its lenient reading: times, parties, the flat row, the pydantic model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_tui.model import (
    NOBODY,
    InvalidRecord,
    Party,
    event_time,
    event_type,
    flatten,
    iso_ms,
    ms_to_datetime,
    parse_time,
    party,
)
from audit_tui.schema import Event, Ref


def ms(*args: int) -> int:
    """Epoch ms of a UTC wall time, computed independently of the code under test."""
    dt = datetime(*args, tzinfo=UTC)  # type: ignore[misc]
    return int(dt.timestamp()) * 1000 + dt.microsecond // 1000


T = ms(2026, 11, 20, 14, 3, 22)  # 2026-11-20T14:03:22Z
T_S = T // 1000


# -- parse_time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-11-20T14:03:22Z", T),
        ("2026-11-20T14:03:22.120Z", T + 120),
        ("2026-11-20T14:03:22.1Z", T + 100),
        ("2026-11-20T14:03:22.123999Z", T + 123),  # sub-ms digits are cut, not rounded
        ("2026-11-20T14:03:22.123456789Z", T + 123),  # nanoseconds (not fromisoformat's)
        ("2026-11-20T14:03:22+00:00", T),
        ("2026-11-20T16:03:22+02:00", T),  # offsets are normalised to UTC
        ("2026-11-20T08:33:22-05:30", T),
        ("2026-11-20T16:03:22+0200", T),
        ("2026-11-21T00:03:22+10:00", T),  # the UTC day differs from the local day
        ("2026-11-20T14:03:22", T),  # naive = UTC
        ("2026-11-20 14:03:22", T),
        ("2026-11-20", ms(2026, 11, 20)),
        ("  2026-11-20T14:03:22Z\t", T),
        ("1969-12-31T23:59:59.999Z", -1),
        ("1970-01-01T00:00:00Z", 0),
    ],
)
def test_parse_time_iso(value: str, expected: int) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (T_S, T),  # epoch seconds
        (float(T_S), T),
        (T_S + 0.25, T + 250),
        (T, T),  # epoch milliseconds
        (float(T), T),
        (0, 0),
        (str(T_S), T),  # numeric strings
        (str(T), T),
        (f"{T_S}.5", T + 500),
        (f" {T_S} ", T),
        (f"+{T_S}", T),
        # digit strings that are also basic-format ISO dates are still epoch numbers:
        # fromisoformat would read "1794110351600" as 1794-11-03T16:00
        ("1794110351600", 1794110351600),
        ("1794110351", 1794110351000),
        ("20261120", 20261120000),
        (99_999_999_999, 99_999_999_999_000),  # just below the threshold: seconds (year 5138)
        (100_000_000_000, 100_000_000_000),  # at the threshold: milliseconds (1973)
    ],
)
def test_parse_time_epoch(value: object, expected: int) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (T * 1000, T),  # epoch microseconds
        (T * 1000 + 999, T),  # sub-millisecond digits are cut
        (str(T * 1000), T),
        (float(T * 1000), T),
        (T * 1_000_000, T),  # epoch nanoseconds
        (T * 1_000_000 + 123_456, T),
        (str(T * 1_000_000), T),
        (99_999_999_999_999, 99_999_999_999_999),  # below 1e14: still milliseconds (year 5138)
        (100_000_000_000_000, 100_000_000_000),  # at 1e14: microseconds (1973)
        (100_000_000_000_000_000, 100_000_000_000),  # at 1e17: nanoseconds (1973)
    ],
)
def test_parse_time_epoch_micro_and_nanoseconds(value: object, expected: int) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-11-20 14:03:22.123456789 +00:00", T + 123),  # a space before the zone
        ("2026-11-20T14:03:22 UTC", T),
        ("2026-11-20T14:03:22z", T),
        ("2026-11-20T16:03:22.5 +02:00", T + 500),
    ],
)
def test_parse_time_lenient_iso(value: str, expected: int) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        (None, "no audited_at"),
        ("", "invalid audited_at"),
        ("   ", "invalid audited_at"),
        ("garbage", "invalid audited_at"),
        ("2026-13-45T99:99:99Z", "invalid audited_at"),
        ("not a date at all, really", "invalid audited_at"),
        ("nan", "invalid audited_at"),
        ("inf", "invalid audited_at"),
        (float("nan"), "invalid audited_at"),
        (float("inf"), "invalid audited_at"),
        (True, "invalid audited_at"),
        (False, "invalid audited_at"),
        ([], "invalid audited_at"),
        ({}, "invalid audited_at"),
        ({"$date": "2026-11-20"}, "invalid audited_at"),
        # beyond what a datetime (and the index's int64 column) can hold
        (1e30, "invalid audited_at"),
        ("1e30", "invalid audited_at"),
        ("9" * 30, "invalid audited_at"),
        (-1e30, "invalid audited_at"),
        (10**25, "invalid audited_at"),
    ],
)
def test_parse_time_rejects(value: object, reason: str) -> None:
    with pytest.raises(InvalidRecord) as info:
        parse_time(value)
    assert str(info.value) == reason


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.booleans(), st.none()))
def test_parse_time_never_raises_anything_else(value: object) -> None:
    """Whatever a record holds, the answer is a time that fits int64 and datetime, or
    InvalidRecord: never a crash that would stop the loader."""
    try:
        result = parse_time(value)
    except InvalidRecord:
        return
    assert isinstance(result, int)
    assert -(2**63) < result < 2**63
    ms_to_datetime(result)  # representable


def test_iso_ms_round_trip() -> None:
    assert iso_ms(T + 120) == "2026-11-20T14:03:22.120Z"
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"
    assert parse_time(iso_ms(T + 7)) == T + 7
    assert ms_to_datetime(T) == datetime(2026, 11, 20, 14, 3, 22, tzinfo=UTC)


# -- event_time / event_type ------------------------------------------------------------------


def test_event_time_snake_and_camel() -> None:
    assert event_time({"audited_at": "2026-11-20T14:03:22Z"}) == T
    assert event_time({"auditedAt": "2026-11-20T14:03:22Z"}) == T
    # snake_case wins when both are there; a null one does not hide the other
    assert event_time({"audited_at": "2026-11-20T14:03:22Z", "auditedAt": 0}) == T
    assert event_time({"audited_at": None, "auditedAt": T_S}) == T


def test_event_time_missing() -> None:
    for record in ({}, {"audited_at": None}, {"time": "2026-11-20"}):
        with pytest.raises(InvalidRecord, match="^no audited_at$"):
            event_time(record)


def test_event_type() -> None:
    assert event_type({"event_type": "user.login"}) == "user.login"
    assert event_type({"eventType": "user.login"}) == "user.login"
    assert event_type({"event_type": "a", "eventType": "b"}) == "a"
    assert event_type({"event_type": 42}) == "42"
    for record in ({}, {"event_type": None}, {"event_type": ""}):
        with pytest.raises(InvalidRecord, match="^no event_type$"):
            event_type(record)
    for record in ({"event_type": {"name": "x"}}, {"event_type": ["x"]}):
        with pytest.raises(InvalidRecord, match="^invalid event_type$"):
            event_type(record)


# -- party --------------------------------------------------------------------------------


def test_party_dict() -> None:
    p = party({"type": "user", "id": "usr_1", "name": "Alice", "email": "a@example.com"})
    assert p == Party(id="usr_1", name="Alice", email="a@example.com", type="user")
    assert party({"id": 7}) == Party("7", "", "", "")  # non-string ids become text
    assert party({"displayName": "Alice"}).name == "Alice"
    assert party({"display_name": "Alice"}).name == "Alice"
    assert party({"name": "Al", "displayName": "Alice"}).name == "Al"
    assert party({}) == NOBODY
    assert party({"id": None, "name": None}) == NOBODY


def test_party_bare_string_is_its_name() -> None:
    assert party("Production") == Party("", "Production", "", "")
    assert party("") == Party("", "", "", "")


def test_party_none() -> None:
    assert party(None) is NOBODY
    assert NOBODY == Party("", "", "", "")


# -- flatten ------------------------------------------------------------------------------


def test_flatten_native(make_event) -> None:
    record = make_event(
        id="evt_9", audited_at="2026-11-20T16:03:22+02:00", metadata={"ip": "10.0.0.1"}
    )
    row = flatten(record)
    assert row.audited_at == T
    assert row.event_type == "user.login"
    assert (row.resource_type, row.resource_id, row.resource_name) == (
        "session",
        "ses_1",
        "web session",
    )
    assert row.organization == "Acme"
    assert (row.workspace, row.workspace_id) == ("Production", "ws_prod")
    assert (row.actor_type, row.actor_id, row.actor_name, row.actor_email) == (
        "user",
        "usr_alice",
        "Alice",
        "alice@example.com",
    )
    assert row.id == "evt_9"
    assert row.metadata == {"ip": "10.0.0.1"}


def test_flatten_org_level_and_bare_strings() -> None:
    row = flatten(
        {
            "auditedAt": T_S,
            "eventType": "org.updated",
            "organization": {"id": "org_only_id"},
            "workspace": None,
            "actor": "system",
            "resource": "billing",
        }
    )
    assert row.audited_at == T
    assert row.event_type == "org.updated"
    assert row.organization == "org_only_id"  # falls back to the id
    assert (row.workspace, row.workspace_id) == ("", "")
    assert (row.actor_name, row.actor_id, row.actor_email) == ("system", "", "")
    assert row.resource_name == "billing"
    assert row.id == ""
    assert row.metadata is None

    absent = flatten({"audited_at": T, "event_type": "x"})
    assert absent.workspace == "" and absent.actor_name == "" and absent.organization == ""


def test_flatten_rejects_invalid() -> None:
    with pytest.raises(InvalidRecord, match="no audited_at"):
        flatten({"event_type": "x"})
    with pytest.raises(InvalidRecord, match="no event_type"):
        flatten({"audited_at": T})
    with pytest.raises(InvalidRecord, match="invalid audited_at"):
        flatten({"audited_at": "yesterday-ish", "event_type": "x"})


# -- Event (pydantic) -----------------------------------------------------------------------


def test_event_from_record_native(make_event) -> None:
    record = make_event(audited_at="2026-11-20T16:03:22.5+02:00", extra_field={"kept": True})
    before = dict(record)
    event = Event.from_record(record)
    assert record == before  # the record itself is not changed
    assert event.audited_at == datetime(2026, 11, 20, 14, 3, 22, 500000, tzinfo=UTC)
    assert event.audited_at.utcoffset() == timedelta(0)
    assert event.event_type == "user.login"
    assert event.actor == Ref(type="user", id="usr_alice", name="Alice", email="alice@example.com")
    assert event.workspace is not None and event.workspace.name == "Production"
    assert event.model_extra == {"extra_field": {"kept": True}}


def test_event_from_record_camel_case_and_bare_strings() -> None:
    event = Event.from_record(
        {
            "auditedAt": T,
            "eventType": "user.login",
            "actor": "Alice",
            "workspace": "Production",
            "organization": "Acme",
            "resource": "web session",
        }
    )
    assert event.audited_at == datetime(2026, 11, 20, 14, 3, 22, tzinfo=UTC)
    assert event.event_type == "user.login"
    assert event.actor == Ref(name="Alice")
    assert event.workspace == Ref(name="Production")
    assert event.organization == Ref(name="Acme")
    assert event.resource == Ref(name="web session")


def test_event_from_record_both_spellings_snake_wins() -> None:
    event = Event.from_record(
        {"audited_at": T, "auditedAt": 0, "event_type": "a", "eventType": "b"}
    )
    assert event.audited_at == ms_to_datetime(T)
    assert event.event_type == "a"


def test_event_org_level() -> None:
    event = Event.from_record({"audited_at": T, "event_type": "x", "workspace": None})
    assert event.workspace is None


def test_event_naive_and_epoch_times_are_utc() -> None:
    for value in ("2026-11-20T14:03:22", T_S, str(T)):
        event = Event.from_record({"audited_at": value, "event_type": "x"})
        assert event.audited_at == datetime(2026, 11, 20, 14, 3, 22, tzinfo=UTC)
        assert event.audited_at.tzinfo is not None
        assert event.audited_at.astimezone(UTC).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "record",
    [
        {"event_type": "x"},
        {"audited_at": "garbage", "event_type": "x"},
        {"audited_at": T},
    ],
)
def test_event_invalid(record: dict) -> None:
    with pytest.raises(pydantic.ValidationError):
        Event.from_record(record)
