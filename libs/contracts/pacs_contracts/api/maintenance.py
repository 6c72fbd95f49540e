"""Maintenance windows: planned downtime that holds alarms and does not count against availability."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field, model_validator

from pacs_contracts.common import Identifier, ShortText
from pacs_contracts.envelope import Contract

MAX_MAINTENANCE = timedelta(days=14)


class MaintenanceKind(StrEnum):
    upgrade = "upgrade"
    patch = "patch"
    pm = "pm"
    other = "other"


class MaintenanceWindowCreate(Contract):
    """Planned downtime: monitoring holds its alarms and the availability budget does not count it."""

    site_id: Identifier
    host: Identifier | None = Field(None, description="one host of the site; none means the whole site")
    starts_at: datetime
    ends_at: datetime
    kind: MaintenanceKind = MaintenanceKind.other
    reason: ShortText

    @model_validator(mode="after")
    def _sane_times(self) -> MaintenanceWindowCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a UTC offset, e.g. 2026-12-01T22:00:00+08:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > MAX_MAINTENANCE:
            raise ValueError(f"a maintenance window lasts at most {MAX_MAINTENANCE.days} days")
        return self


class MaintenanceWindowPublic(Contract):
    window_id: Identifier
    site_id: Identifier
    host: Identifier | None
    starts_at: datetime
    ends_at: datetime
    kind: MaintenanceKind
    reason: str
    state: str = Field(description="scheduled, active, ended or cancelled")
    created_by: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
