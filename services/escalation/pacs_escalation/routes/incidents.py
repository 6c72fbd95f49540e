"""Reading incidents, each caller those they may see (domain/access.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder

from pacs_contracts.api import BoardPublic, IncidentPublic, Page
from pacs_contracts.common import Identifier, Role, Tier
from pacs_escalation.adapters.repository import LISTED
from pacs_escalation.deps import DepsDep, EscalationDeps
from pacs_escalation.domain import incident as incidents
from pacs_escalation.domain.access import incident_filter
from pacs_escalation.domain.board import board
from pacs_escalation.domain.sla import CLOSED
from pacs_kit.auth import Principal, require
from pacs_kit.deps import PageCursor, Staff, WantTotal
from pacs_kit.paging import bounded_count, cursor_of, next_link
from pacs_kit.problems import Problem, found

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
Overseer = Annotated[Principal, require(Role.supervisor, Role.admin)]


async def scope_of(principal: Principal, deps: EscalationDeps) -> dict[str, Any]:
    """The incidents `principal` may see: an engineer those of the regions in their token and of their own
    record, and those they own (an L4 engineer serves every region's escalations); other staff all."""
    regions = set(principal.regions)
    if (engineer := await deps.engineers.get(principal.subject)) is not None:
        regions.add(engineer["region"])
    return incident_filter(principal.roles, principal.subject, regions)


async def visible(incident_id: str, principal: Principal, deps: EscalationDeps) -> dict[str, Any]:
    """The incident, or a 404 when it does not exist or is outside what the caller may see."""
    doc = await deps.incidents.collection.find_one({"_id": incident_id, **await scope_of(principal, deps)})
    return found(doc, f"no incident {incident_id!r}")


@router.get("/board", response_model=BoardPublic, summary="The escalation board: open incidents by region and tier")
async def escalation_board(_: Overseer, deps: DepsDep) -> BoardPublic:
    now = datetime.now(UTC)
    open_now = await deps.incidents.collection.find({"state": {"$nin": list(CLOSED)}}, LISTED).to_list()
    shown = board(open_now, now)
    return BoardPublic(at=now, cells=shown["cells"], at_risk=[incidents.public(i) for i in shown["at_risk"]],
                       breached=[incidents.public(i) for i in shown["breached"]])  # fmt: skip


@router.get("/{incident_id}", response_model=IncidentPublic, summary="One incident")
async def get_incident(incident_id: str, principal: Staff, deps: DepsDep) -> IncidentPublic:
    return incidents.public(await visible(incident_id, principal, deps))


@router.get("", response_model=Page[IncidentPublic], summary="Incidents, newest first, filtered, a page at a time")
async def list_incidents(
    request: Request,
    principal: Staff,
    deps: DepsDep,
    site_id: Identifier | None = None,
    fault_id: Identifier | None = None,
    state: Identifier | None = None,
    tier: Tier | None = None,
    assignee_id: Identifier | None = None,
    region: Identifier | None = None,
    escalated: Annotated[bool, Query(description="only incidents the ladder or a person escalated")] = False,
    due_before: Annotated[
        datetime | None,
        Query(description="only open incidents with a deadline (response, on site, next tier) before this time"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: PageCursor = None,
    total: WantTotal = False,
) -> Page[IncidentPublic]:
    wanted = {"site_id": site_id, "fault_id": fault_id, "state": state, "assignee_id": assignee_id, "region": region}
    filters: dict[str, Any] = {k: v for k, v in wanted.items() if v is not None}
    if tier is not None:
        filters["tier"] = tier.value
    if escalated:
        filters["timeline.what"] = "escalated"
    if due_before is not None:
        if due_before.tzinfo is None:
            raise Problem(422, "Invalid request", "due_before needs a time zone offset", slug="invalid-request")
        filters["next_check_at"] = {"$lte": due_before}
    filters |= await scope_of(principal, deps)
    items, after = await deps.incidents.search(filters, limit, cursor_of(cursor))
    return Page[IncidentPublic](
        items=[incidents.public(d) for d in items],
        total=await bounded_count(deps.incidents.collection, filters) if total else None,
        next=next_link(request, after),
    )


@router.get("/{incident_id}/timeline", summary="Everything that happened to an incident, oldest first")
async def get_timeline(incident_id: str, principal: Staff, deps: DepsDep) -> list[dict[str, Any]]:
    doc = await visible(incident_id, principal, deps)
    return [jsonable_encoder(entry) for entry in doc.get("timeline", [])]
