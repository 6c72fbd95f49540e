"""Lifecycle actions on an incident; an action its state does not allow is a 409."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter

from pacs_contracts.api import IncidentPublic, PendingCreate, ReopenCreate, ResolutionCreate
from pacs_contracts.common import Role
from pacs_escalation.deps import DepsDep, EscalationDeps
from pacs_escalation.domain import incident as incidents
from pacs_escalation.domain.actions import apply
from pacs_escalation.domain.lifecycle import Action, IllegalTransition
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep
from pacs_kit.problems import Problem
from pacs_kit.service import Kit
from pacs_kit.uow import Tx

router = APIRouter(prefix="/api/v1/incidents/{incident_id}", tags=["incidents"])
Responder = Annotated[Principal, require(Role.engineer, Role.supervisor, Role.admin)]


async def _act(
    incident_id: str, action: Action, actor: Principal, deps: EscalationDeps, kit: Kit, details: dict[str, Any]
) -> IncidentPublic:
    incident = await deps.incidents.get(incident_id)
    if incident is None:
        raise Problem(404, "Not found", f"no incident {incident_id!r}", slug="not-found")
    try:
        change = apply(incident, action, datetime.now(UTC), actor.subject, details)
    except IllegalTransition as exc:
        raise Problem(409, "Illegal transition", str(exc), slug="illegal-transition", state=incident["state"]) from None

    async def save(tx: Tx) -> None:
        if not await deps.incidents.transition(incident_id, change.from_state, change.fields, change.entry, tx.session):
            raise Problem(409, "Changed meanwhile", "the incident changed while this action was applied; reload it",
                          slug="conflict")  # fmt: skip
        for event in change.events:
            await tx.emit(event)

    await kit.uow.run(save, correlation_id=incident.get("fault_id") or incident_id)
    return incidents.public({**incident, **change.fields})


@router.post("/acknowledge", response_model=IncidentPublic, summary="Acknowledge: the response clock stops")
async def acknowledge(incident_id: str, actor: Responder, deps: DepsDep, kit: KitDep) -> IncidentPublic:
    return await _act(incident_id, Action.acknowledge, actor, deps, kit, {})


@router.post("/request-on-site", response_model=IncidentPublic, summary="Remote service cannot fix it")
async def request_on_site(incident_id: str, actor: Responder, deps: DepsDep, kit: KitDep) -> IncidentPublic:
    return await _act(incident_id, Action.request_on_site, actor, deps, kit, {})


@router.post("/check-in", response_model=IncidentPublic, summary="The engineer is on site")
async def check_in(incident_id: str, actor: Responder, deps: DepsDep, kit: KitDep) -> IncidentPublic:
    return await _act(incident_id, Action.check_in, actor, deps, kit, {})


@router.post("/pending", response_model=IncidentPublic, summary="Waiting for the hospital: clocks pause")
async def pending(
    incident_id: str, body: PendingCreate, actor: Responder, deps: DepsDep, kit: KitDep
) -> IncidentPublic:
    return await _act(incident_id, Action.pend, actor, deps, kit, body.model_dump())


@router.post("/resume", response_model=IncidentPublic, summary="The hospital answered: clocks run again")
async def resume(incident_id: str, actor: Responder, deps: DepsDep, kit: KitDep) -> IncidentPublic:
    return await _act(incident_id, Action.resume, actor, deps, kit, {})


@router.post("/resolve", response_model=IncidentPublic, summary="Resolve with root cause and fix")
async def resolve(
    incident_id: str, body: ResolutionCreate, actor: Responder, deps: DepsDep, kit: KitDep
) -> IncidentPublic:
    return await _act(incident_id, Action.resolve, actor, deps, kit, body.model_dump(mode="json"))


@router.post("/reopen", response_model=IncidentPublic, summary="The fault came back")
async def reopen(incident_id: str, body: ReopenCreate, actor: Responder, deps: DepsDep, kit: KitDep) -> IncidentPublic:
    return await _act(incident_id, Action.reopen, actor, deps, kit, body.model_dump())


@router.post("/close", response_model=IncidentPublic, summary="Close a resolved incident")
async def close(incident_id: str, actor: Responder, deps: DepsDep, kit: KitDep) -> IncidentPublic:
    return await _act(incident_id, Action.close, actor, deps, kit, {})
