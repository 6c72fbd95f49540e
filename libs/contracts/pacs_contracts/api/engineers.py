"""Engineers, their on-call rosters, and who is on call."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from pacs_contracts.common import Identifier, IsoDuration, ShortText, Tier, TimeZone, parse_duration
from pacs_contracts.envelope import Contract

MIN_SHIFT = timedelta(hours=1)
MAX_SHIFT = timedelta(days=366)


class RosterOverride(Contract):
    engineer_id: Identifier
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> RosterOverride:
        if self.end <= self.start:
            raise ValueError(f"the override for {self.engineer_id} must end after it starts")
        return self


class RosterPut(Contract):
    time_zone: TimeZone = "Asia/Shanghai"
    engineers: list[Identifier] = Field(min_length=1, max_length=100, description="in rotation order")
    rotation_start: AwareDatetime = Field(description="the first hand-over; later ones fall at the same local time")
    shift: IsoDuration = Field("P7D", description="from PT1H to P366D")
    overrides: list[RosterOverride] = Field([], max_length=500)

    @model_validator(mode="after")
    def _shift_in_range(self) -> RosterPut:
        if not MIN_SHIFT <= parse_duration(self.shift) <= MAX_SHIFT:
            raise ValueError(f"shift {self.shift!r} must be from PT1H to P366D")
        return self


class RosterPublic(RosterPut):
    region: Identifier
    tier: Tier


class OnCallPublic(Contract):
    region: Identifier
    tier: Tier
    at: datetime
    engineer_id: Identifier | None
    source: str | None = Field(None, description="rotation, override, or tier: any engineer of the tier")
    until: datetime | None = None


class EngineerRole(StrEnum):
    engineer = "engineer"
    supervisor = "supervisor"


class EngineerCreate(Contract):
    engineer_id: Identifier
    name: ShortText
    region: Identifier
    tier: Tier = Tier.L1
    locale: Annotated[str, StringConstraints(pattern=r"^(zh-CN|en)$")] = "en"
    roles: list[EngineerRole] = Field(
        default_factory=lambda: [EngineerRole.engineer], min_length=1, description="a supervisor hears of SLA breaches"
    )


class EngineerPublic(EngineerCreate):
    created_at: datetime
    retired_at: datetime | None = Field(None, description="set once retired: rosters, sites and the ladder skip them")
