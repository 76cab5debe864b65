"""pydantic models of the event, for the boundaries: API pages, the detail view, tests.

The million-event path never builds these (see :mod:`audit_tui.sources.blocks`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from audit_tui.model import InvalidRecord, ms_to_datetime, parse_time


class Ref(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    id: str | None = None
    name: str | None = None
    type: str | None = None
    email: str | None = None

    @classmethod
    def _coerce(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value}
        return value


class Event(BaseModel):
    """One audit event in the native shape (camelCase and bare-string parties accepted)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    id: str | None = None
    audited_at: datetime = Field(alias="auditedAt")
    event_type: str = Field(alias="eventType")
    resource: Ref | None = None
    organization: Ref | None = None
    workspace: Ref | None = None
    actor: Ref | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("audited_at", mode="before")
    @classmethod
    def _time(cls, value: Any) -> datetime:
        try:
            return ms_to_datetime(parse_time(value))
        except InvalidRecord as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("resource", "organization", "workspace", "actor", mode="before")
    @classmethod
    def _party(cls, value: Any) -> Any:
        return Ref._coerce(value)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Event:
        data = dict(record)
        for snake, camel in (("audited_at", "auditedAt"), ("event_type", "eventType")):
            if snake in data and camel in data:
                data.pop(camel)
        return cls.model_validate(data)
