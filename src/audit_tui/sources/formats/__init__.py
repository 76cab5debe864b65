"""Foreign audit-log formats mapped onto the native event shape.

:func:`normalise` takes one parsed record and returns a dict in the native shape (``audited_at``,
``event_type``, ``resource``, ``organization``, ``workspace``, ``actor``, ``metadata``) that the
index and the table read; the original record is never changed and stays what the detail view
and exports show. A native record is returned as it is.

Detection is per record (a file may mix shapes) by a few key lookups, in a fixed order (so a
record always reads the same, whatever came before it). A *forced* format (``--input-format``,
given to every function here as ``forced``, a name :func:`resolve` returned) skips detection:
every record that is not in the native shape is read as that format. The mapping of each format
is documented in ``docs/formats.md``.
:func:`index_line` is the loader's fast path for Kubernetes and CloudTrail lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from audit_tui.model import InvalidRecord
from audit_tui.sources.formats import ai, azure, cloudtrail, gcp, generic, github, k8s, okta
from audit_tui.sources.formats._common import Rec, native_time, scope
from audit_tui.sources.formats.fast import index_line

NATIVE = "native"
GENERIC = "generic"

# name -> what the user reads (store.format_name, the docs)
LABELS: dict[str, str] = {
    NATIVE: "native",
    "k8s": "Kubernetes audit",
    "cloudtrail": "AWS CloudTrail",
    "gcp": "Google Cloud audit",
    "github": "GitHub audit",
    "okta": "Okta System Log",
    "azure": "Azure Activity Log",
    "entra": "Entra ID audit/sign-in",
    "m365": "Microsoft 365 audit",
    "openai": "OpenAI audit",
    "anthropic": "Anthropic activity",
    GENERIC: "generic mapping",
}
NAMES: tuple[str, ...] = tuple(LABELS)
UNRECOGNISED = "unrecognised"
_LABEL_OF = {**LABELS, UNRECOGNISED: "unrecognised records"}
ALIASES = {
    "kubernetes": "k8s",
    "kube": "k8s",
    "eks": "k8s",
    "aks": "k8s",
    "aws": "cloudtrail",
    "cloud-trail": "cloudtrail",
    "google": "gcp",
    "gcp-audit": "gcp",
    "gke": "gcp",
    "azure-activity": "azure",
    "entra-id": "entra",
    "azure-ad": "entra",
    "aad": "entra",
    "office365": "m365",
    "o365": "m365",
    "microsoft365": "m365",
    "claude": "anthropic",
}

_MAPPERS: dict[str, Callable[[Rec], Rec]] = {
    "k8s": k8s.normalise,
    "cloudtrail": cloudtrail.normalise,
    "gcp": gcp.normalise,
    "github": github.normalise,
    "okta": okta.normalise,
    "azure": azure.normalise_activity,
    "entra": azure.normalise_entra,
    "m365": azure.normalise_m365,
    "openai": ai.normalise_openai,
    "anthropic": ai.normalise_anthropic,
    GENERIC: generic.normalise,
}
# detection order: the most specific shapes first (Entra before the Azure Activity Log, GitHub's
# loose "action" last)
_MATCHERS: tuple[tuple[str, Callable[[Rec], bool]], ...] = (
    ("k8s", k8s.match),
    ("cloudtrail", cloudtrail.match),
    ("gcp", gcp.match),
    ("okta", okta.match),
    ("entra", azure.match_entra),
    ("azure", azure.match_activity),
    ("m365", azure.match_m365),
    ("openai", ai.match_openai),
    ("anthropic", ai.match_anthropic),
    ("github", github.match),
)
# Panther data-lake exports name the log type of each record
PANTHER_LOG_TYPES = {
    "AWS.CloudTrail": "cloudtrail",
    "Amazon.EKS.Audit": "k8s",
    "GCP.AuditLog": "gcp",
    "GitHub.Audit": "github",
    "Okta.SystemLog": "okta",
    "Azure.Audit": "entra",
    "Azure.MonitorActivity": "azure",
}

__all__ = [
    "NAMES",
    "LABELS",
    "normalise",
    "detect",
    "resolve",
    "describe_formats",
    "describe_lines",
    "describe_file",
    "format_label",
    "index_line",
]


def resolve(name: str | None) -> str | None:
    """The canonical format name for ``name`` (an alias, any case); None for auto-detection.

    Raises ValueError naming the choices for an unknown name."""
    if name is None:
        return None
    key = name.strip().lower().replace("_", "-")
    if key in ("", "auto"):
        return None
    key = ALIASES.get(key, key)
    if key not in LABELS:
        raise ValueError(f"unknown input format {name!r}; choose one of: auto, {', '.join(NAMES)}")
    return key


def _is_native(rec: Rec) -> bool:
    return rec.get("audited_at") is not None or rec.get("auditedAt") is not None


def _detect(rec: Rec) -> str:
    log_type = rec.get("p_log_type")
    if log_type is not None:
        name = PANTHER_LOG_TYPES.get(log_type) if type(log_type) is str else None
        if name is not None:
            if name == "azure" and k8s.is_aks(rec):
                return "k8s"
            return name
    for name, match in _MATCHERS:
        if match(rec):
            return name
    if rec.get("event_type") is not None or rec.get("eventType") is not None:
        return NATIVE
    return GENERIC


def detect(record: Any, forced: str | None = None) -> str:
    """The name of the format of one record (one of :data:`NAMES`): ``forced`` when given and
    the record is not native."""
    if type(record) is not dict:
        return GENERIC
    if _is_native(record):
        return NATIVE
    try:
        return forced or _detect(record)
    except Exception:  # a hostile shape of a key some matcher reads
        return GENERIC


def normalise(record: dict[str, Any], forced: str | None = None) -> dict[str, Any]:
    """The native view of ``record`` (the record itself when it is native), read as format
    ``forced`` when given.

    Raises only :class:`InvalidRecord` (for a record a mapper cannot read at all); a record
    without a usable time or type gives a view that ``event_time``/``event_type`` reject with
    the usual reason."""
    if record.get("audited_at") is not None or record.get("auditedAt") is not None:
        return record
    name = detect(record, forced)
    mapper = _MAPPERS.get(name)
    if mapper is None:
        return record
    try:
        out = mapper(record)
        if out.get("audited_at") is None or "p_log_type" in record:
            _panther(record, out)
    except InvalidRecord:
        raise
    except Exception:  # a hostile or truncated shape: one skipped record, never a crash
        raise InvalidRecord(f"unreadable {LABELS[name]} record") from None
    return out


def _panther(record: Rec, out: Rec) -> None:
    """Panther's own fields fill what the vendor record lacks: its event time (the last time
    fallback of every format, also in exports that dropped ``p_log_type``) and its source."""
    if out.get("audited_at") is None and record.get("p_event_time") is not None:
        out["audited_at"] = native_time(record["p_event_time"])
    if "p_log_type" not in record or out.get("organization") is not None:
        return
    if record.get("p_source_label") is not None:
        out["organization"] = scope(record["p_source_label"])


# -- naming what a file holds ----------------------------------------------------------------

SAMPLE = 200


def describe_formats(records: Iterable[Any], forced: str | None = None) -> str:
    """What the records are, for ``store.format_name``: "" for native (or no records),
    "Kubernetes audit", "AWS CloudTrail (Panther export)", "Okta System Log + native"..."""
    counts: Counter[str] = Counter()
    panther = False
    for rec in records:
        if type(rec) is not dict:
            counts[UNRECOGNISED] += 1
            continue
        name = detect(rec, forced)
        if name == GENERIC and generic.time_of(rec) is None:
            name = UNRECOGNISED  # e.g. {"kind": 0}: skipped, not mapped
        counts[name] += 1
        panther = panther or "p_log_type" in rec
    if not counts:
        return ""
    if forced is not None and set(counts) <= {forced, NATIVE}:
        return f"{LABELS[forced]} (forced)"
    if set(counts) == {NATIVE}:
        return ""
    text = " + ".join(_LABEL_OF.get(name, name) for name, _ in counts.most_common())
    return text + " (Panther export)" if panther else text


def describe_lines(head: bytes, limit: int = SAMPLE, forced: str | None = None) -> str:
    """:func:`describe_formats` of the first JSON lines of ``head`` (a file's first bytes)."""
    records = []
    for line in head.split(b"\n")[:limit]:
        line = line.strip().removeprefix(b"\xef\xbb\xbf")
        if line[:1] != b"{":
            continue
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # the head's last, cut line, or an invalid one (reported by the loader)
        records.extend(_events_in(rec))
    return describe_formats(records, forced)


_PAGE_KEYS = ("data", "items", "events", "records", "Records", "Events", "value")


def _events_in(rec: Any) -> list[Any]:
    """A line's record, or the events of a line that is a whole CloudTrail object or API page
    (the loader reads those: ``sources.blocks.envelope_spans``)."""
    if type(rec) is dict and detect(rec) == GENERIC and generic.time_of(rec) is None:
        for key in _PAGE_KEYS:
            if isinstance(rec.get(key), list):
                return list(rec[key])
    return [rec]


def format_label(base: str, described: str) -> str:
    """``"JSON lines"`` + ``"Kubernetes audit"`` -> ``"JSON lines: Kubernetes audit"``."""
    return f"{base}: {described}" if described else base


def describe_file(path: str, size: int = 64 * 1024, forced: str | None = None) -> str:
    """:func:`describe_lines` of the start of a JSON-lines file ("" when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return describe_lines(f.read(size), forced=forced)
    except OSError:
        return ""
