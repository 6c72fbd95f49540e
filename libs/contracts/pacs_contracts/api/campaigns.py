"""Upgrade campaigns: a release rolled out to sites in waves (the pilot first), each site agreeing its window,
checked before and after, and signed off by its hospital."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from pacs_contracts.api.releases import VersionRange
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
    """A wave names its sites, or chooses them from the campaign's selection: those of `regions` (any region if
    none), at most `count` (every one left if none), in the order of the selection, none chosen twice."""

    name: Identifier
    site_ids: list[Identifier] = Field(default_factory=list, max_length=500)
    regions: list[Identifier] = Field(default_factory=list, max_length=50)
    count: int | None = Field(None, ge=1, le=5000)

    @model_validator(mode="after")
    def _names_or_chooses(self) -> Wave:
        if self.site_ids and (self.regions or self.count is not None):
            raise ValueError(f"wave {self.name} names its sites or chooses them by region and count, not both")
        return self


class SiteSelection(Contract):
    """Which sites a campaign's choosing waves take from: the sites that run the release's product at a version it
    applies to (its applicability's `needs`), narrowed here."""

    regions: list[Identifier] = Field(default_factory=list, max_length=50, description="any region if none")
    versions: list[VersionRange] = Field(
        default_factory=list, max_length=10, description="installed versions, >=7.1,<7.2 say; any it applies to if none"
    )
    ready_only: bool = Field(False, description="only sites that meet every prerequisite now")


class CampaignCreate(Contract):
    """Sites named one by one, or chosen by region, version and count from a selection (`select`)."""

    release_id: Identifier
    waves: list[list[Identifier] | Wave] = Field(min_length=1, max_length=20, description="the first is the pilot")
    select: SiteSelection = Field(default_factory=SiteSelection)
    advance_share: Share = Field(1.0, description="share of a wave verified before the next may start")
    pause_share: Share = Field(0.34, description="share of a wave failed that pauses the campaign")
    soak: IsoDuration = Field("PT24H", description="wait between a wave's success and the next wave")
    post_soak: IsoDuration = Field(
        "PT1H",
        description="how long an upgraded site stays green (DICOM echo up, no "
        "monitoring breach) after its post-checks before it may be signed off",
    )
    window: IsoDuration | None = Field(None, description="each site's window; the release's expected_downtime if none")

    def named_waves(self) -> list[Wave]:
        return [w if isinstance(w, Wave) else Wave(name=f"wave-{n}", site_ids=w) for n, w in enumerate(self.waves)]

    @model_validator(mode="after")
    def _each_site_once(self) -> CampaignCreate:
        sites = [s for wave in self.named_waves() for s in wave.site_ids]
        twice = sorted({s for s in sites if sites.count(s) > 1})
        if twice:
            raise ValueError(f"a site is in one wave only: {', '.join(twice)}")
        if any(isinstance(w, list) and not w for w in self.waves):
            raise ValueError("a wave names at least one site")
        return self

    def chooses(self) -> bool:
        """Whether a wave chooses its sites from the selection (so the sites must be looked up)."""
        return any(not w.site_ids for w in self.named_waves())


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
    by_consent: bool = Field(False, description="its window was taken from the hospital's standing consent")
    soak_until: datetime | None = Field(None, description="post-checks passed: it may be signed off from then on")
    checks: dict[str, SiteChecks] = Field(default_factory=dict, description="the latest pre and post reports")
    reasons: list[str] = Field(default_factory=list, description="what holds the site back now")
    history: list[SiteMove] = Field(default_factory=list)


class CampaignPublic(Contract):
    campaign_id: Identifier
    release_id: Identifier
    product: Identifier
    version: str
    kind: str | None = Field(None, description="the release's kind: patch, hotfix, upgrade or os_patch")
    waves: list[Wave]
    advance_share: float
    pause_share: float
    soak: str
    post_soak: str = "PT0S"
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
