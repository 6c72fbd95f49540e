"""Upgrade campaigns: a release rolled out to sites in waves (the pilot first), each site agreeing its window,
checked before and after, and signed off by its hospital."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from pacs_contracts.common import Identifier, IsoDuration, ShortText
from pacs_contracts.envelope import Contract

Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class SiteState(StrEnum):
    proposed = "proposed"
    notified = "notified"
    window_agreed = "window_agreed"
    prechecked = "prechecked"
    in_progress = "in_progress"
    postchecked = "postchecked"
    verified = "verified"
    failed = "failed"
    rolled_back = "rolled_back"


class CampaignState(StrEnum):
    active = "active"
    paused = "paused"
    completed = "completed"


class Wave(Contract):
    name: Identifier
    site_ids: list[Identifier] = Field(min_length=1, max_length=500)


class CampaignCreate(Contract):
    """Sites are named one by one for now; choosing them by product, version or region is still to come."""

    release_id: Identifier
    waves: list[list[Identifier] | Wave] = Field(min_length=1, max_length=20, description="the first is the pilot")
    advance_share: Share = Field(1.0, description="share of a wave verified before the next may start")
    pause_share: Share = Field(0.34, description="share of a wave failed that pauses the campaign")
    soak: IsoDuration = Field("PT24H", description="wait between a wave's success and the next wave")
    window: IsoDuration | None = Field(None, description="each site's window; the release's expected_downtime if none")

    def named_waves(self) -> list[Wave]:
        return [w if isinstance(w, Wave) else Wave(name=f"wave-{n}", site_ids=w) for n, w in enumerate(self.waves)]

    @model_validator(mode="after")
    def _each_site_once(self) -> CampaignCreate:
        sites = [s for wave in self.named_waves() for s in wave.site_ids]
        twice = sorted({s for s in sites if sites.count(s) > 1})
        if twice:
            raise ValueError(f"a site is in one wave only: {', '.join(twice)}")
        if any(not (w if isinstance(w, list) else w.site_ids) for w in self.waves):
            raise ValueError("a wave names at least one site")
        return self


class WindowAgreement(Contract):
    starts_at: datetime


class Rollback(Contract):
    reason: ShortText


class Counts(Contract):
    studies: int = Field(ge=0)
    series: int = Field(ge=0)
    instances: int = Field(ge=0)


class CheckPhase(StrEnum):
    pre = "pre"
    post = "post"


class SiteChecks(Contract):
    """What the site's agent measured before or after the upgrade."""

    phase: CheckPhase
    backup_age_hours: float | None = Field(None, ge=0, allow_inf_nan=False)
    archive_free_percent: float | None = Field(None, ge=0, le=100)
    tablespace_free_percent: float | None = Field(None, ge=0, le=100)
    ha_ok: bool | None = None
    dicom_echo_ok: bool | None = None
    counts: Counts


class SiteMove(Contract):
    from_state: SiteState | None
    to_state: SiteState
    reason: str
    at: datetime


class CampaignSitePublic(Contract):
    site_id: Identifier
    wave: int
    state: SiteState
    window_starts_at: datetime | None = None
    window_ends_at: datetime | None = None
    window_id: Identifier | None = None
    checks: dict[str, SiteChecks] = Field(default_factory=dict, description="the latest pre and post reports")
    reasons: list[str] = Field(default_factory=list, description="what holds the site back now")
    history: list[SiteMove] = Field(default_factory=list)


class CampaignPublic(Contract):
    campaign_id: Identifier
    release_id: Identifier
    product: Identifier
    version: str
    waves: list[Wave]
    advance_share: float
    pause_share: float
    soak: str
    window: str
    state: CampaignState
    current_wave: int
    next_wave_at: datetime | None = None
    paused_reason: str | None = None
    created_by: str
    created_at: datetime
    sites: list[CampaignSitePublic]


class AgreementLink(Contract):
    url: str
    expires_at: datetime
