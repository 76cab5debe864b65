"""Small, fast helpers shared by the format mappers.

Every mapper takes one parsed record (never changed) and returns a new, small native view. The
helpers here are written for the per-record slow path: a few dict lookups, no copies, and no
exception for the usual shapes.
"""

from __future__ import annotations

from typing import Any

import orjson

from audit_tui.model import MAX_MS, MIN_MS, MS_THRESHOLD, US_THRESHOLD, iso_ms, iso_time

Rec = dict[str, Any]
_EMPTY: Rec = {}


def as_dict(value: Any) -> Rec:
    """``value`` if it is a dict, else an empty one (read-only: never mutate the result)."""
    return value if type(value) is dict else _EMPTY


def embedded(value: Any) -> Rec:
    """A record given as JSON text inside another (CloudTrail LookupEvents, the AKS wrapper),
    or already as an object; an empty one when it is neither."""
    if type(value) is str:
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return _EMPTY
    return as_dict(value)


def text_or_none(value: Any) -> str | None:
    """A non-empty text for a scalar (None, '' and containers give None)."""
    if value is None or value == "":
        return None
    if type(value) is str:
        return value
    if isinstance(value, dict | list):
        return None
    return str(value)


def first_item(value: Any) -> Rec:
    """The first dict of a list (or the dict itself)."""
    if type(value) is list:
        for item in value:
            if type(item) is dict:
                return item
        return _EMPTY
    return as_dict(value)


def native_time(value: Any) -> Any:
    """A source time as the native view holds it: ISO text becomes epoch ms (an int, which reads
    back quickest) or, where :func:`model.parse_time` would read that number in another unit
    (before 1973-03-03, after 5138), ISO text of the same instant; anything else is kept as the
    source wrote it, for ``parse_time`` to read (or to say why it is no time)."""
    if type(value) is str:
        ms = iso_time(value)
        if ms is not None and MIN_MS <= ms <= MAX_MS:
            return ms if MS_THRESHOLD <= abs(ms) < US_THRESHOLD else iso_ms(ms)
    return value


def pick(rec: Rec, *keys: str) -> Any:
    """The first of ``keys`` that ``rec`` holds a non-null value for."""
    for key in keys:
        value = rec.get(key)
        if value is not None:
            return value
    return None


def party(id_: Any = None, name: Any = None, email: Any = None, type_: Any = None) -> Rec:
    """A native party dict, with only the fields that have a value."""
    out: Rec = {}
    if id_ is not None and id_ != "":
        out["id"] = id_ if type(id_) is str else str(id_)
    if name is not None and name != "":
        out["name"] = name if type(name) is str else str(name)
    if email is not None and email != "":
        out["email"] = email if type(email) is str else str(email)
    if type_ is not None and type_ != "":
        out["type"] = type_ if type(type_) is str else str(type_)
    return out


# the type of an actor known only by the address it called from (shown as ``⌁ 1.2.3.4``)
IP_ACTOR = "ip"


def named(actor: Rec) -> bool:
    """Whether an actor view names anyone (an id, a name or an email; a type alone does not)."""
    return bool(actor.get("id") or actor.get("name") or actor.get("email"))


def ip_actor(address: Any) -> Rec:
    """The last actor fallback: the caller's IP address, typed :data:`IP_ACTOR` (empty if none).

    ``address`` may be a list of addresses (Kubernetes ``sourceIPs``): the first is the caller."""
    if type(address) is list:
        address = address[0] if address else None
    text = text_or_none(address)
    if text is None:
        return {}
    return {"id": text, "name": text, "type": IP_ACTOR}


def scope(value: Any) -> Rec | None:
    """An organization or workspace party for an id that is also its name (None if empty)."""
    text = text_or_none(value)
    if text is None:
        return None
    return {"id": text, "name": text}


def email_of(text: str | None) -> str | None:
    return text if text is not None and "@" in text and " " not in text else None


def last_segment(path: str | None) -> str | None:
    if not path:
        return None
    return path.rstrip("/").rsplit("/", 1)[-1] or None


def view(
    audited_at: Any,
    event_type: Any,
    *,
    id: Any = None,
    resource: Rec | None = None,
    organization: Rec | None = None,
    workspace: Rec | None = None,
    actor: Rec | None = None,
    metadata: Rec | None = None,
) -> Rec:
    """The native view of one foreign record (keys the native reader and ``flatten`` read)."""
    out: Rec = {
        "audited_at": audited_at,
        "event_type": (
            event_type
            if event_type is None or type(event_type) is str
            else text_or_none(event_type)
        ),
        "resource": resource or None,
        "organization": organization,
        "workspace": workspace,
        "actor": actor or None,
    }
    if id is not None:
        out["id"] = id if type(id) is str else str(id)
    if metadata:
        out["metadata"] = {k: v for k, v in metadata.items() if v is not None}
    return out


def recase(value: Any, canon: dict[str, str]) -> Any:
    """A copy of ``value`` with lower-cased keys put back into their camelCase spelling
    (Panther's data lake lower-cases column names: ``eventname``, ``useridentity``...).

    Only used for such records; the normal shapes never pay for it."""
    if type(value) is dict:
        return {canon.get(k, k): recase(v, canon) for k, v in value.items()}
    if type(value) is list:
        return [recase(v, canon) for v in value]
    return value


def canon_of(*keys: str) -> dict[str, str]:
    return {k.lower(): k for k in keys if k.lower() != k}
