"""Service reviews: the figures of a hospital's period of service, frozen with the version of the rules that
counted them, and the workflow that takes a draft to the hospital's acknowledgement."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from pacs_contracts.common import Identifier, LongText, ShortText
from pacs_contracts.envelope import Contract

REVIEW_SITES_MAX = 50


class ReviewState(StrEnum):
    draft = "draft"
    approved = "approved"
    published = "published"
    acknowledged = "acknowledged"


class HoleKind(StrEnum):
    """Data a review cannot stand on: the incident is still unsolved (no root cause), or nobody ever answered."""

    no_root_cause = "no_root_cause"
    clock_never_stopped = "clock_never_stopped"


class ActionStatus(StrEnum):
    open = "open"
    done = "done"
    dropped = "dropped"


class ServiceReviewCreate(Contract):
    site_id: Identifier | None = Field(None, description="one hospital; or `site_ids` for a group")
    site_ids: list[Identifier] | None = Field(None, max_length=REVIEW_SITES_MAX)
    period: ShortText = Field(
        description="a quarter (`2026Q3`), a month (`2026-07`), or an ISO 8601 interval "
        "(`2026-07-01T00:00:00Z/2026-10-01T00:00:00Z`)",
        examples=["2026Q3"],
    )

    @model_validator(mode="after")
    def _one_way_to_name_sites(self) -> ServiceReviewCreate:
        if (self.site_id is None) == (not self.site_ids):
            raise ValueError("name the hospital with site_id, or a group with site_ids, not both and not neither")
        return self

    def sites(self) -> list[str]:
        return sorted({self.site_id} if self.site_id else set(self.site_ids or []))


class ActionItem(Contract):
    text: ShortText
    owner: ShortText = Field(description="who carries it out, vendor or hospital side")
    due_on: date
    status: ActionStatus = ActionStatus.open


class ServiceReviewEdit(Contract):
    """What the engineer adds to a draft; a field left out stays as it is."""

    recommendations: list[LongText] | None = Field(None, max_length=50)
    actions: list[ActionItem] | None = Field(None, max_length=50)
    previous_actions: list[ActionItem] | None = Field(
        None, max_length=50, description="the previous review's actions with their status now"
    )


class Waiver(Contract):
    incident_id: Identifier
    kind: HoleKind
    reason: ShortText


class Hole(Contract):
    incident_id: Identifier
    kind: HoleKind
    detail: str
    waived: str | None = Field(None, description="the reason it was waived, if it was")


class Distribution(Contract):
    """Minutes in contract time over the incidents that have the figure."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None


class Compliance(Contract):
    applicable: int = Field(description="incidents the clock ran for")
    met: int
    breached: int
    percent: float | None = Field(description="met ÷ applicable; none when nothing applied")


class Availability(Contract):
    commitment_percent: float | None
    period_minutes: float
    downtime_minutes: float
    downtime_by_cause: dict[str, float]
    percent: float
    planned_minutes: float = Field(description="inside agreed maintenance windows: not counted as downtime")
    software_budget_minutes: float = Field(description="the contract's yearly software downtime budget")
    software_used_minutes: float = Field(description="software downtime in the calendar year up to the period's end")
    software_left_minutes: float


class PmFigures(Contract):
    planned: int
    done: int
    overdue: int
    findings_open: int


class MonitoringFigures(Contract):
    breaches: int
    by_rule: dict[str, int]
    dicom_breaches: int
    dicom_nodes_down: int = Field(0, description="DICOM nodes that failed their echo at some time in the period")
    dicom_down_minutes: float = Field(0.0, description="their minutes down, added up")


class Figures(Contract):
    """One period's figures; a review holds its own period's, the previous period's and the year before's."""

    period: str
    starts_at: datetime
    ends_at: datetime
    incidents: int
    by_severity: dict[str, int]
    by_channel: dict[str, int]
    by_problem_class: dict[str, int]
    mtta: Distribution
    mttr: Distribution
    response: Compliance
    on_site: Compliance
    escalations_by_tier: dict[str, int]
    reopened: int
    availability: Availability
    pm: PmFigures
    monitoring: MonitoringFigures


class ServiceReviewPublic(Contract):
    review_id: Identifier
    site_ids: list[Identifier]
    period: str
    rules_version: str
    state: ReviewState
    built_at: datetime
    figures: Figures
    previous: Figures
    year_before: Figures
    rows: dict[str, list[dict[str, Any]]] = Field(
        description="the rows behind every figure of the period: incidents, breaches, escalations, downtime, "
        "windows, PM visits, findings, monitoring breaches, capacity forecasts, DICOM nodes down"
    )
    recurring: list[dict[str, Any]] = Field(description="the top recurring problems, by cause and product")
    software: dict[str, Any] = Field(description="versions and upgrades, once the software lifecycle reports them")
    holes: list[Hole]
    recommendations: list[str]
    actions: list[ActionItem]
    previous_actions: list[ActionItem]
    approved_by: str | None = None
    approved_at: datetime | None = None
    published_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


class ReviewPublished(Contract):
    review: ServiceReviewPublic
    acknowledge_url: str = Field(description="the signed link the hospital's contact opens to acknowledge")
    expires_at: datetime


class ReviewAcknowledgement(Contract):
    name: ShortText = Field(description="who at the hospital acknowledges the review")
