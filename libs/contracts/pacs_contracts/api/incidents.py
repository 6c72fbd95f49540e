"""Incidents, the actions that move them along, and the escalation board."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from pacs_contracts.api.knowledge import Tags
from pacs_contracts.common import CausedBy, Identifier, LongText, Severity, ShortText, Tier
from pacs_contracts.envelope import Contract


class IncidentPublic(Contract):
    incident_id: Identifier
    site_id: Identifier
    fault_id: Identifier | None
    state: str
    tier: Tier
    assignee_id: Identifier
    severity: Severity
    summary: str
    opened_at: datetime
    response_due: datetime | None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    source: str = Field("fault", description="fault (HIS or call) or monitoring")
    occurrences: int = Field(1, description="breaches of the same problem folded into this incident")
    region: Identifier | None = None
    on_site_required_at: datetime | None = Field(None, description="when remote service gave up")
    on_site_due: datetime | None = Field(None, description="the on-site deadline; none while paused or met")
    on_site_at: datetime | None = None
    next_tier: Tier | None = Field(None, description="the tier the ladder climbs to next, if still unsolved")
    next_tier_at: datetime | None = Field(None, description="when it climbs; none while paused")
    actions: list[str] = Field(default_factory=list, description="lifecycle actions the incident's state allows")


class BoardCell(Contract):
    region: Identifier
    tier: Tier
    open: int
    at_risk: int = Field(description="response due within 30 minutes, nobody has answered")
    breached: int = Field(description="a response or on-site deadline already missed")


class BoardPublic(Contract):
    """The escalation board: open incidents by region and tier, and the ones that need a supervisor now."""

    at: datetime
    cells: list[BoardCell]
    at_risk: list[IncidentPublic] = Field(description="at most 50, the response due soonest first")
    breached: list[IncidentPublic] = Field(description="at most 50, the oldest first")


class PendingCreate(Contract):
    reason: ShortText


class EscalationCreate(Contract):
    reason: ShortText
    to_tier: Tier | None = Field(None, description="default: the next tier up")


class ReassignmentCreate(Contract):
    engineer_id: Identifier
    reason: ShortText


class ReopenCreate(Contract):
    reason: ShortText


class ResolutionCreate(Contract):
    root_cause: LongText
    resolution: LongText
    caused_by: CausedBy
    whole_system_down: bool = False
    down_from: datetime | None = Field(None, description="when the whole system went down, if it did")
    # what the escalation database files the case under, for the next engineer who searches
    product: ShortText | None = None
    version: ShortText | None = None
    module: ShortText | None = None
    tags: Tags = []
