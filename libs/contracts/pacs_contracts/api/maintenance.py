"""Maintenance windows: planned downtime that holds alarms and does not count against availability."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from pacs_contracts.common import Identifier, IsoDuration, ShortText, parse_duration
from pacs_contracts.envelope import Contract

MAX_MAINTENANCE = timedelta(days=14)
MIN_STANDING = timedelta(seconds=1)
# release kinds a hospital may consent to in advance (the values of ReleaseKind, upgrades excepted)
PreApprovable = Literal["patch", "hotfix", "os_patch"]


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


class StandingWindow(Contract):
    """A recurring window the hospital agreed in advance: it begins at `first_starts_at` and again every `every`,
    lasting `length` each time (e.g. Sundays 02:00-06:00 local: a Sunday 02:00+08:00, P7D, PT4H)."""

    first_starts_at: datetime
    every: IsoDuration = Field(description="from one window's start to the next, e.g. P7D")
    length: IsoDuration = Field(description="how long each window lasts, at most `every`")

    @model_validator(mode="after")
    def _sane(self) -> StandingWindow:
        if self.first_starts_at.tzinfo is None:
            raise ValueError("first_starts_at needs a UTC offset, e.g. 2026-12-06T02:00:00+08:00")
        every, length = parse_duration(self.every), parse_duration(self.length)
        if every < MIN_STANDING or length < MIN_STANDING:
            raise ValueError(f"every and length are at least {MIN_STANDING.seconds} seconds")
        if length > every:
            raise ValueError("a window cannot last longer than the time between two windows")
        if length > MAX_MAINTENANCE:
            raise ValueError(f"a maintenance window lasts at most {MAX_MAINTENANCE.days} days")
        return self


class MaintenanceAgreement(Contract):
    """The hospital's standing consent: releases of the kinds named here need no agreement one by one; a campaign
    schedules each into the next standing window long enough for it. Upgrades are always planned with the
    hospital, so they cannot be pre-approved."""

    window: StandingWindow
    pre_approved: list[PreApprovable] = Field(default_factory=list, max_length=3)
    note: ShortText | None = None


class MaintenanceAgreementPublic(MaintenanceAgreement):
    site_id: Identifier
    agreed_by: str
    agreed_at: datetime
    next_window_starts_at: datetime | None = Field(None, description="the next standing window from now")
