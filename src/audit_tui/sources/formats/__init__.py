"""Foreign audit-log formats mapped onto the native event shape.

:func:`normalise` takes one parsed record and returns a dict in the native shape (``audited_at``,
``event_type``, ``resource``, ``organization``, ``workspace``, ``actor``, ``metadata``) that the
index and the table read; the original record is never changed and stays what the detail view
and exports show. A native record is returned as it is.
"""

from __future__ import annotations

from typing import Any

NATIVE = "native"


def normalise(record: dict[str, Any]) -> dict[str, Any]:
    """The native view of ``record`` (the record itself when it is native)."""
    return record


def detect(record: dict[str, Any]) -> str:
    """The name of the format of one record."""
    return NATIVE
