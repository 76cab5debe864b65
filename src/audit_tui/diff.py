"""What a change changed: a structural diff of an event's before and after states.

A pure data-layer module. :func:`structural_diff` compares two JSON values key by key (lists
element by element) and gives the added, removed and changed leaves with their paths;
:func:`changes_in` finds the before and after states an event carries, per format:

========== ===========================================================================
format     where the states are
========== ===========================================================================
native     ``metadata.changes.before`` / ``metadata.changes.after``
azure      ``properties.targetResources[].modifiedProperties[]`` (``oldValue``/``newValue``)
gcp        ``protoPayload.serviceData.policyDelta.bindingDeltas[]`` and
           ``protoPayload.metadata.datasetChange.bindingDeltas[]`` (``ADD``/``REMOVE``)
github     ``old_X`` (or ``X_was``) beside ``X``
cloudtrail ``requestParameters`` of an update (``Update*``, ``Put*``, ``Modify*``…): the
           values set (the old ones are not recorded)
k8s        ``responseObject`` (else ``requestObject``) of an update or patch against the same
           object's previous event (:func:`k8s_object`; the caller finds that event)
========== ===========================================================================

Values are returned as they are (untrusted): whoever shows them sanitises them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from audit_tui.model import Row, iso_ms
from audit_tui.output import actor_label, resource_label
from audit_tui.safe import clean

ADDED, REMOVED, CHANGED, SET = "added", "removed", "changed", "set"
_MISSING: Any = object()
MAX_CHANGES = 500  # leaves listed per event; the rest are counted


@dataclass(frozen=True)
class Change:
    """One leaf that differs: ``kind`` is added, removed, changed, or set (new value, old
    one not recorded)."""

    path: str
    kind: str
    old: Any = None
    new: Any = None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def structural_diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """The leaves that differ between ``before`` and ``after``, in document order (keys of
    ``before`` first, then those only in ``after``); list items compared by index."""
    out: list[Change] = []
    _diff(before, after, path, out)
    return out


def _diff(before: Any, after: Any, path: str, out: list[Change]) -> None:
    if len(out) > MAX_CHANGES:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key, old in before.items():
            sub = _join(path, str(key))
            if key in after:
                _diff(old, after[key], sub, out)
            else:
                out.append(Change(sub, REMOVED, old=old))
        for key, new in after.items():
            if key not in before:
                out.append(Change(_join(path, str(key)), ADDED, new=new))
        return
    if isinstance(before, list) and isinstance(after, list):
        _diff_lists(before, after, path, out)
        return
    if before != after or type(before) is not type(after):
        out.append(Change(path or "(value)", CHANGED, old=before, new=after))


def _key(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
    except (TypeError, orjson.JSONEncodeError):
        return repr(value).encode()


def _diff_lists(before: list[Any], after: list[Any], path: str, out: list[Change]) -> None:
    """Items matched as a sequence (an item inserted in the middle is one addition, not a
    change of every later index); a replaced run of the same length is compared item by item.
    Paths carry the item's index in the list it is in (old for removed, new otherwise)."""
    matcher = difflib.SequenceMatcher(
        None, [_key(v) for v in before], [_key(v) for v in after], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                _diff(before[i], after[j], _join(path, str(j)), out)
            continue
        for i in range(i1, i2):
            out.append(Change(_join(path, str(i)), REMOVED, old=before[i]))
        for j in range(j1, j2):
            out.append(Change(_join(path, str(j)), ADDED, new=after[j]))


# -- where the states are, per format ----------------------------------------------------------


def _get(rec: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(rec, dict):
            return None
        rec = rec.get(key)
    return rec


def _native(rec: dict[str, Any]) -> list[Change] | None:
    changes = _get(rec, "metadata", "changes")
    if not isinstance(changes, dict) or ("before" not in changes and "after" not in changes):
        return None
    before = changes.get("before")
    after = changes.get("after")
    return structural_diff({} if before is None else before, {} if after is None else after)


def _maybe_json(value: Any) -> Any:
    """Azure writes old and new values as JSON text: read them when they are."""
    if isinstance(value, str) and value[:1] in ("{", "[", '"'):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _azure(rec: dict[str, Any]) -> list[Change] | None:
    targets = _get(rec, "properties", "targetResources")
    if not isinstance(targets, list):
        return None
    out: list[Change] = []
    for t in targets:
        props = t.get("modifiedProperties") if isinstance(t, dict) else None
        if not isinstance(props, list):
            continue
        name = t.get("displayName") or t.get("id") or "target"
        for p in props:
            if not isinstance(p, dict):
                continue
            path = _join(str(name), str(p.get("displayName") or "property"))
            old, new = _maybe_json(p.get("oldValue")), _maybe_json(p.get("newValue"))
            if old in (None, "", [], {}) and new not in (None, "", [], {}):
                out.append(Change(path, ADDED, new=new))
            elif new in (None, "", [], {}) and old not in (None, "", [], {}):
                out.append(Change(path, REMOVED, old=old))
            elif old != new:
                out += structural_diff(old, new, path)
    return out or None


def _gcp(rec: dict[str, Any]) -> list[Change] | None:
    payload = rec.get("protoPayload")
    deltas = _get(payload, "serviceData", "policyDelta", "bindingDeltas")
    if not isinstance(deltas, list):
        deltas = _get(payload, "metadata", "datasetChange", "bindingDeltas")
    if not isinstance(deltas, list):
        return None
    out: list[Change] = []
    for d in deltas:
        if not isinstance(d, dict):
            continue
        path = _join("bindings", str(d.get("role") or "role"))
        member = d.get("member")
        action = str(d.get("action") or "").upper()
        if action == "ADD":
            out.append(Change(path, ADDED, new=member))
        elif action == "REMOVE":
            out.append(Change(path, REMOVED, old=member))
    return out or None


_OLD_KEY = re.compile(r"^(?:old_(?P<a>.+)|(?P<b>.+)_was)$")


def _github(rec: dict[str, Any]) -> list[Change] | None:
    out: list[Change] = []
    _old_beside_new(rec, "", out, 0)
    return out or None


def _old_beside_new(rec: Any, path: str, out: list[Change], depth: int) -> None:
    """``old_X`` (or ``X_was``) beside ``X``, at any depth (GitHub nests them in lists of
    rules)."""
    if depth > 8:
        return
    if isinstance(rec, list):
        for i, item in enumerate(rec):
            _old_beside_new(item, _join(path, str(i)), out, depth + 1)
        return
    if not isinstance(rec, dict):
        return
    for key, value in rec.items():
        m = _OLD_KEY.match(str(key))
        if m is None:
            if isinstance(value, dict | list):
                _old_beside_new(value, _join(path, str(key)), out, depth + 1)
            continue
        name = m.group("a") or m.group("b")
        if name in rec:
            out += structural_diff(value, rec[name], _join(path, name))
        else:
            out.append(Change(_join(path, name), REMOVED, old=value))


_UPDATE = re.compile(
    r"^(Update|Put|Modify|Set|Change|Replace|Attach|Detach|Enable|Disable|Associate|"
    r"Disassociate|Add|Remove|Revoke|Authorize|Reset)"
)


# data-plane writes, not configuration: their parameters are not a change of settings
_DATA_EVENTS = re.compile(r"^(PutObject|PutItem|PutRecords?|PutEvents|PutMetricData|PutLogEvents)$")


def _cloudtrail(rec: dict[str, Any]) -> list[Change] | None:
    name = rec.get("eventName")
    params = rec.get("requestParameters")
    if not isinstance(name, str) or not _UPDATE.match(name) or _DATA_EVENTS.match(name):
        return None
    if not isinstance(params, dict):
        return None
    return [Change(path, SET, new=value) for path, value in _leaves(params, "")] or None


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from _leaves(v, _join(path, str(k)))
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        for i, v in enumerate(value):
            yield from _leaves(v, _join(path, str(i)))
    else:
        yield path or "(value)", value


_K8S_CHANGES = ("update", "patch")


def k8s_object(rec: dict[str, Any]) -> tuple[str, Any] | None:
    """(verb, object state) of a Kubernetes audit event that carries the object: the
    response (the object as stored) or else the request."""
    verb = rec.get("verb")
    state = rec.get("responseObject")
    if not isinstance(state, dict) or state.get("kind") == "Status":
        state = rec.get("requestObject")
    if not isinstance(verb, str) or not isinstance(state, dict):
        return None
    return verb, state


def _k8s_state(state: dict[str, Any]) -> dict[str, Any]:
    """An object's state without the fields every write changes."""
    meta = state.get("metadata")
    if isinstance(meta, dict):
        meta = {
            k: v
            for k, v in meta.items()
            if k not in ("resourceVersion", "managedFields", "generation", "uid")
        }
        state = {**state, "metadata": meta}
    return state


def k8s_changes(rec: dict[str, Any], previous: dict[str, Any] | None) -> list[Change] | None:
    """The diff of an update or patch against the object's previous event (None when this
    event is not a change or no earlier state of the object is known)."""
    now = k8s_object(rec)
    if now is None or now[0] not in _K8S_CHANGES or previous is None:
        return None
    before = k8s_object(previous)
    if before is None:
        return None
    return structural_diff(_k8s_state(before[1]), _k8s_state(now[1]))


_SELF_CONTAINED = {
    "native": _native,
    "azure": _azure,
    "entra": _azure,
    "gcp": _gcp,
    "github": _github,
    "cloudtrail": _cloudtrail,
}

# formats whose before state is in an earlier event of the same object
NEEDS_PREVIOUS = frozenset({"k8s"})


def changes_in(original: Any, fmt: str) -> list[Change] | None:
    """The changes an event records in itself (None when it records none); ``original`` is the
    record as the source wrote it and ``fmt`` its format's name (``native``, ``k8s``, …)."""
    if not isinstance(original, dict):
        return None
    reader = _SELF_CONTAINED.get(fmt)
    if reader is None:
        return None
    try:
        return reader(original)
    except (TypeError, ValueError, AttributeError, RecursionError):  # a hostile shape
        return None


# -- as text ---------------------------------------------------------------------------------

SIGNS = {ADDED: "+", REMOVED: "-", CHANGED: "~", SET: "="}


def value_text(value: Any, width: int = 200) -> str:
    """A value on one line, as JSON, sanitised and cut to ``width`` characters."""
    try:
        text = orjson.dumps(value, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = repr(value)
    return clean(text, width)


def change_line(change: Change, width: int = 200) -> str:
    """``~ path: old → new`` (``+ path: new``, ``- path: old``, ``= path: new``), sanitised."""
    path = clean(change.path, 120)
    sign = SIGNS[change.kind]
    if change.kind == CHANGED:
        return f"{sign} {path}: {value_text(change.old, width)} → {value_text(change.new, width)}"
    if change.kind == REMOVED:
        return f"{sign} {path}: {value_text(change.old, width)}"
    return f"{sign} {path}: {value_text(change.new, width)}"


def event_block(row: Row, changes: list[Change], width: int = 200) -> str:
    """One event's changes for ``query --format diff``: a heading line (time, type, resource,
    actor, id) and a line per change, every value sanitised."""
    head = "  ".join(
        clean(v, 80)
        for v in (
            iso_ms(row.audited_at),
            row.event_type,
            resource_label(row),
            f"by {actor_label(row)}",
            row.id,
        )
        if v
    )
    lines = [f"  {change_line(c, width)}" for c in changes[:MAX_CHANGES]]
    if len(changes) > MAX_CHANGES:
        lines.append(f"  … {len(changes) - MAX_CHANGES:,} more")
    return "\n".join([head, *lines]) + "\n"
