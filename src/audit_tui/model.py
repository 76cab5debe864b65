"""The audit event: its native shape, and the lenient reading of it (times included).

The million-event path never builds a model per event: loaders read the few fields the index
needs with :func:`event_time` and :func:`party`. The pydantic models, built on demand (the
detail view, API pages, tests), live in :mod:`audit_tui.schema`, which imports this module and
never the other way (pydantic costs ~0.1 s at start-up, which the loader's worker processes and
the command line don't pay). The original record is always kept as the source wrote it.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import orjson

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An epoch number's unit is told by its size: below 1e11 seconds, then milliseconds, microseconds
# and nanoseconds (each unit's range starts in 1973 and ends in the year 5138).
MS_THRESHOLD = 100_000_000_000
US_THRESHOLD = 100_000_000_000_000
NS_THRESHOLD = 100_000_000_000_000_000
# The instants a datetime can hold (0001-01-01 .. 9999-12-31, UTC) in epoch ms: anything outside
# is not a time (and would not fit the index's int64 column).
MIN_MS = -62_135_596_800_000
MAX_MS = 253_402_300_799_999

_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d*)?$")  # a numeric string: an epoch number
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")
_SPACE_ZONE = re.compile(r"\s+(?=[+-]\d\d:?\d\d$|Z$|UTC$)")
_fromiso = datetime.fromisoformat
_ONE_MS = timedelta(milliseconds=1)

TIME_KEYS = ("audited_at", "auditedAt")
TYPE_KEYS = ("event_type", "eventType")


class InvalidRecord(ValueError):
    """A record that cannot be indexed; the message is the short reason shown to the user."""


# -- times: the one place a time value is read ----------------------------------------------


def parse_time(value: Any) -> int:
    """Return the instant ``value`` names as epoch milliseconds (UTC), or raise
    :class:`InvalidRecord` with the reason.

    Reads ISO 8601 text with ``Z``, an offset or none (UTC), a space for the ``T`` or before the
    zone, ``UTC`` for the zone and up to nine fractional digits (cut to the millisecond); epoch
    numbers (or numeric text) in seconds, milliseconds, microseconds or nanoseconds, told apart
    by their size; and, last, what python-dateutil reads. Digits alone are always an epoch
    number, never a basic-format ISO date.
    """
    if isinstance(value, str):
        ms = iso_time(value)
        if ms is None:
            ms = _text_ms(value)
    else:
        ms = _number_ms(value)
    if MIN_MS <= ms <= MAX_MS:  # e.g. 0001-01-01T00:00+01:00 is not
        return ms
    raise InvalidRecord("invalid audited_at")


def iso_time(text: str) -> int | None:
    """The epoch ms of ISO 8601 text, the way :func:`parse_time` reads it (not range-checked);
    None for text that is not ISO 8601 (a number, or something only dateutil may read)."""
    if text[4:5] != "-" and _NUMBER.match(text.strip()):
        return None  # fromisoformat would read "1794110351600" (epoch ms) as 1794-11-03T16:00
    dt: datetime | None
    try:
        dt = _fromiso(text)
    except ValueError:
        dt = _lenient_iso(text)
        if dt is None:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - EPOCH) // _ONE_MS


def _lenient_iso(text: str) -> datetime | None:
    """ISO text that fromisoformat refuses as it is: padded, a space before the zone, ``UTC``
    or a lower-case ``z`` for the zone."""
    t = _LONG_FRACTION.sub(r"\1", text.strip())
    t = _SPACE_ZONE.sub("", t)
    if t.endswith("UTC"):
        t = t[:-3] + "+00:00"
    if t.endswith(("z", "Z")):
        t = t[:-1] + "+00:00"
    try:
        return _fromiso(t)
    except ValueError:
        return None


def _text_ms(value: str) -> int:
    """Epoch ms of text that is not ISO 8601: an epoch number, or what dateutil reads."""
    text = value.strip()
    if not text:
        raise InvalidRecord("invalid audited_at")
    if _NUMBER.match(text):
        return _number_ms(float(text) if "." in text else int(text))
    try:
        number = float(text)  # "1.7e9"; "nan" and "inf" are refused below
    except ValueError:
        dt = _dateutil(text)
    else:
        return _number_ms(number)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return datetime_ms(dt)


def _number_ms(value: Any) -> int:
    """Epoch ms of an epoch number, its unit told by its size (see MS_THRESHOLD)."""
    if value is None:
        raise InvalidRecord("no audited_at")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRecord("invalid audited_at")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRecord("invalid audited_at")
    size = abs(value)
    if size < MS_THRESHOLD:
        return int(round(value * 1000))
    if size < US_THRESHOLD:
        return int(value)
    if size < NS_THRESHOLD:
        return int(value // 1000)
    return int(value // 1_000_000)


def _dateutil(text: str) -> datetime:
    from dateutil import parser

    try:
        return parser.isoparse(text)
    except (ValueError, OverflowError):
        pass
    try:
        return parser.parse(text)
    except (ValueError, OverflowError) as exc:
        raise InvalidRecord("invalid audited_at") from exc


def datetime_ms(dt: datetime) -> int:
    """Epoch ms of an aware datetime (sub-millisecond digits are cut)."""
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def iso_ms(ms: int) -> str:
    """``2026-11-20T14:03:22.120Z`` for epoch milliseconds."""
    seconds, milli = divmod(ms, 1000)
    day, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_iso_day(day)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{milli:03d}Z"


YEAR_1000_MS = -30_610_224_000_000  # before it strftime writes years without their zeros


def iso_times(ms: np.ndarray) -> list[str]:
    """:func:`iso_ms` of many times at once (numpy formats them: a CSV export writes one a
    row)."""
    ms = np.asarray(ms, dtype=np.int64)
    if len(ms) and int(ms.min()) < YEAR_1000_MS:
        return [iso_ms(int(t)) for t in ms.tolist()]
    texts = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms").tolist()
    return [t + "Z" for t in texts]


@lru_cache(maxsize=4096)
def _iso_day(day: int) -> str:
    # the date of a day since the epoch, as strftime writes it (an export writes one per row:
    # a cached date and integer arithmetic cost a third of a strftime)
    return (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")


def load_json(raw: bytes) -> Any:
    """Parse a record's bytes; what orjson refuses but is still readable (invalid UTF-8, numbers
    beyond float range) is read leniently rather than lost."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw.decode("utf-8", "replace"))


def first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value is not None:
            return value
    return None


def event_time(record: dict[str, Any]) -> int:
    """The record's ``audited_at`` as epoch ms, or :class:`InvalidRecord` with the reason."""
    value = first(record, TIME_KEYS)
    if value is None:
        raise InvalidRecord("no audited_at")
    return parse_time(value)


def event_type(record: dict[str, Any]) -> str:
    value = first(record, TYPE_KEYS)
    if value is None or value == "":
        raise InvalidRecord("no event_type")
    if isinstance(value, dict | list):
        raise InvalidRecord("invalid event_type")
    return value if isinstance(value, str) else str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


class Party(NamedTuple):
    """An actor, resource, organization or workspace: id, name, email and type (each may be '')."""

    id: str
    name: str
    email: str
    type: str


NOBODY = Party("", "", "", "")


def party(value: Any) -> Party:
    """Read an actor/resource/organization/workspace given as an object or a bare name."""
    if value is None:
        return NOBODY
    if isinstance(value, dict):  # (_text inlined: this runs for every party of every row)
        get = value.get
        i, e, t = get("id"), get("email"), get("type")
        n = get("name") or get("displayName") or get("display_name")
        return Party(
            "" if i is None else i if type(i) is str else str(i),
            "" if n is None else n if type(n) is str else str(n),
            "" if e is None else e if type(e) is str else str(e),
            "" if t is None else t if type(t) is str else str(t),
        )
    if isinstance(value, str):
        return Party("", value, "", "")
    return Party("", _text(value), "", "")


class Row(NamedTuple):
    """The flat view of one event: the table's columns, CSV's columns, the facets' keys."""

    audited_at: int  # epoch ms, UTC
    event_type: str
    resource_type: str
    resource_id: str
    resource_name: str
    organization: str
    workspace: str
    workspace_id: str
    actor_type: str
    actor_id: str
    actor_name: str
    actor_email: str
    id: str
    metadata: Any
    actor_as: str = (
        ""  # whom the actor impersonated in this event (Kubernetes ``impersonatedUser``)
    )


def flatten(record: dict[str, Any]) -> Row:
    """The :class:`Row` of a valid native record (raises :class:`InvalidRecord` otherwise)."""
    resource = party(record.get("resource"))
    org = party(record.get("organization"))
    ws = party(record.get("workspace"))
    actor = party(record.get("actor"))
    return Row(
        audited_at=event_time(record),
        event_type=event_type(record),
        resource_type=resource.type,
        resource_id=resource.id,
        resource_name=resource.name,
        organization=org.name or org.id,
        workspace=ws.name or ws.id,
        workspace_id=ws.id,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_email=actor.email,
        id=_text(record.get("id")),
        metadata=record.get("metadata"),
        actor_as=_impersonated(record.get("actor")),
    )


def _impersonated(actor: Any) -> str:
    return _text(actor.get("as")) if isinstance(actor, dict) else ""
