"""Reading incidents; their lifecycle actions arrive with the escalation ladder."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder

from pacs_contracts.api import IncidentPublic, Page
from pacs_contracts.common import Identifier, Tier
from pacs_escalation.deps import DepsDep
from pacs_escalation.domain import incident as incidents
from pacs_kit.deps import Staff
from pacs_kit.problems import Problem

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


@router.get("/{incident_id}", response_model=IncidentPublic, summary="One incident")
async def get_incident(incident_id: str, _: Staff, deps: DepsDep) -> IncidentPublic:
    doc = await deps.incidents.get(incident_id)
    if doc is None:
        raise Problem(404, "Not found", f"no incident {incident_id!r}", slug="not-found")
    return incidents.public(doc)


@router.get("", response_model=Page[IncidentPublic], summary="Incidents, newest first, filtered")
async def list_incidents(
    _: Staff,
    deps: DepsDep,
    site_id: Identifier | None = None,
    fault_id: Identifier | None = None,
    state: Identifier | None = None,
    tier: Tier | None = None,
    assignee_id: Identifier | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[IncidentPublic]:
    wanted = {"site_id": site_id, "fault_id": fault_id, "state": state, "assignee_id": assignee_id}
    filters: dict[str, Any] = {k: v for k, v in wanted.items() if v is not None}
    if tier is not None:
        filters["tier"] = tier.value
    items, total = await deps.incidents.search(filters, limit, offset)
    return Page[IncidentPublic](items=[incidents.public(d) for d in items], total=total)


@router.get("/{incident_id}/timeline", summary="Everything that happened to an incident, oldest first")
async def get_timeline(incident_id: str, _: Staff, deps: DepsDep) -> list[dict[str, Any]]:
    doc = await deps.incidents.get(incident_id)
    if doc is None:
        raise Problem(404, "Not found", f"no incident {incident_id!r}", slug="not-found")
    return [jsonable_encoder(entry) for entry in doc.get("timeline", [])]
