"""Lifecycle actions on an incident; an action its state does not allow is a 409."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter

from pacs_contracts.api import (
    EscalationCreate,
    IncidentPublic,
    PendingCreate,
    ReassignmentCreate,
    ReopenCreate,
    ResolutionCreate,
)
from pacs_contracts.common import Role, Tier
from pacs_escalation.deps import DepsDep, EscalationDeps
from pacs_escalation.domain import incident as incidents
from pacs_escalation.domain import knowledge
from pacs_escalation.domain.actions import Change, NotAllowed, apply, hand_over
from pacs_escalation.domain.availability import InvalidOutage
from pacs_escalation.domain.lifecycle import Action, IllegalTransition
from pacs_escalation.routes.incidents import visible
from pacs_escalation.usecases import incident_changes
from pacs_escalation.usecases.on_call import who_takes
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep
from pacs_kit.problems import Problem
from pacs_kit.service import Kit
from pacs_kit.uow import Tx

router = APIRouter(prefix="/api/v1/incidents/{incident_id}", tags=["incidents"])
Responder = Annotated[Principal, require(Role.engineer, Role.supervisor, Role.admin)]
Supervisor = Annotated[Principal, require(Role.supervisor, Role.admin)]
# what files (or refiles) the incident in the escalation database; a manual escalation does too
FILED = (Action.resolve, Action.reopen)
AUDITED = ("state", "tier", "assignee_id")  # what an action may change, kept before and after in the audit trail


def next_tier(tier: Tier) -> Tier | None:
    order = list(Tier)
    index = order.index(tier)
    return order[index + 1] if index + 1 < len(order) else None


async def _save(
    incident: dict[str, Any], change: Change, deps: EscalationDeps, kit: Kit, *, file_case: bool = False
) -> IncidentPublic:
    """Apply the change; with `file_case`, also file the incident in the escalation database, in one transaction."""
    after = {**incident, **change.fields, "timeline": [*incident.get("timeline", []), change.entry]}
    case = knowledge.from_incident(after, change.entry["at"]) if file_case else None
    if case is not None:
        await deps.encoder.embed_cases([case])

    async def save(tx: Tx) -> None:
        if not await incident_changes.save(incident["_id"], change, tx, deps, case=case):
            raise Problem(409, "Changed meanwhile", "the incident changed while this action was applied; reload it",
                          slug="conflict")  # fmt: skip
        tx.audit(before={k: incident.get(k) for k in AUDITED}, after={k: after.get(k) for k in AUDITED})

    await kit.uow.grouped(save, correlation_id=incident.get("fault_id") or incident["_id"])
    return incidents.public(after)


async def _act(
    incident_id: str, action: Action, actor: Principal, deps: EscalationDeps, kit: Kit, details: dict[str, Any]
) -> IncidentPublic:
    incident = await visible(incident_id, actor, deps)
    try:
        change = apply(incident, action, datetime.now(UTC), actor.subject, details)
    except IllegalTransition as exc:
        raise Problem(409, "Illegal transition", str(exc), slug="illegal-transition", state=incident["state"]) from None
    except InvalidOutage as exc:
        raise Problem(422, "Invalid request", str(exc), slug="invalid-request") from None
    return await _save(incident, change, deps, kit, file_case=action in FILED)


async def _hand_over(
    incident: dict[str, Any], tier: Tier, assignee: str, actor: Principal, reason: str, deps: EscalationDeps, kit: Kit
) -> IncidentPublic:
    try:
        change = hand_over(incident, tier, assignee, datetime.now(UTC), actor.subject, reason)
    except NotAllowed as exc:
        raise Problem(409, "Not allowed now", str(exc), slug="illegal-transition", state=incident["state"]) from None
    return await _save(incident, change, deps, kit, file_case=tier.value != incident["tier"])


@router.post("/escalate", response_model=IncidentPublic, summary="Escalate by hand, with a reason")
async def escalate(
    incident_id: str, body: EscalationCreate, actor: Responder, deps: DepsDep, kit: KitDep
) -> IncidentPublic:
    incident = await visible(incident_id, actor, deps)
    target = body.to_tier or next_tier(Tier(incident["tier"]))
    if target is None:
        raise Problem(
            409, "Not allowed now", "the incident is already with L4, the top tier", slug="illegal-transition"
        )
    found = await who_takes(deps.rosters, deps.engineers, incident["region"], target.value, datetime.now(UTC), None)
    if found is None:
        raise Problem(409, "Nobody on call", f"nobody is on call for {target.value} in {incident['region']}",
                      slug="nobody-on-call")  # fmt: skip
    reason = body.reason if found.note is None else f"{body.reason} ({found.note}; {found.engineer_id} takes it)"
    return await _hand_over(incident, target, found.engineer_id, actor, reason, deps, kit)


@router.post("/reassign", response_model=IncidentPublic, summary="Give the incident to another engineer")
async def reassign(
    incident_id: str, body: ReassignmentCreate, actor: Supervisor, deps: DepsDep, kit: KitDep
) -> IncidentPublic:
    incident = await visible(incident_id, actor, deps)
    engineer = await deps.engineers.get(body.engineer_id)
    if engineer is None or engineer.get("retired_at") is not None:
        raise Problem(
            422, "Unknown engineer", f"no engineer {body.engineer_id!r} is registered", slug="unknown-engineer"
        )
    return await _hand_over(incident, Tier(engineer["tier"]), body.engineer_id, actor, body.reason, deps, kit)


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
