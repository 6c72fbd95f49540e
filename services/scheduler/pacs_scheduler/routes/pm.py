"""Preventive maintenance: a site's plan, its visits, their completion and the report for the hospital."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from pacs_contracts.api import (
    Page,
    PmPlanPublic,
    PmPlanTerms,
    PmStatus,
    PmVisitCompletion,
    PmVisitPublic,
    Reschedule,
)  # fmt: skip
from pacs_contracts.common import Identifier, Role
from pacs_contracts.events import FaultReported
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, Offset, Staff, StaffOrSite
from pacs_kit.documents import model_of
from pacs_kit.problems import Problem, found
from pacs_kit.uow import Tx
from pacs_scheduler.adapters.report import render_html, render_pdf
from pacs_scheduler.deps import DepsDep, SchedulerDeps
from pacs_scheduler.domain import pm
from pacs_scheduler.usecases.pm_plans import top_up

plans = APIRouter(prefix="/api/v1/sites", tags=["pm"])
visits = APIRouter(prefix="/api/v1/pm-visits", tags=["pm"])
Planner = Annotated[Principal, require(Role.supervisor, Role.admin)]
FieldEngineer = Annotated[Principal, require(Role.engineer, Role.supervisor, Role.admin)]


def public(v: dict[str, Any]) -> PmVisitPublic:
    return model_of(PmVisitPublic, v, id_as="visit_id")


@plans.get("/{site_id}/pm-plan", response_model=PmPlanPublic, summary="A site's PM plan and its upcoming visits")
async def get_plan(site_id: Identifier, _: Staff, deps: DepsDep) -> PmPlanPublic:
    plan = found(await deps.plans.get(site_id), f"site {site_id!r} has no PM plan")
    return await _plan_view(deps, plan)


@plans.put("/{site_id}/pm-plan", response_model=PmPlanPublic, summary="Set a site's PM plan")
async def put_plan(site_id: Identifier, terms: PmPlanTerms, actor: Planner, deps: DepsDep,
                   kit: KitDep) -> PmPlanPublic:  # fmt: skip
    """Visits not yet told are planned afresh from the new terms; those told, overdue or done stay."""
    site = await deps.sites.get(site_id)
    engineer = terms.engineer_id or (site or {}).get("account_engineer_id")
    if engineer is None:
        raise Problem(422, "Invalid request", f"site {site_id!r} is not known to the scheduler yet; name an "
                      "engineer_id or register the site first", slug="invalid-request")  # fmt: skip
    now = datetime.now(UTC)
    plan = {"_id": site_id, "terms": terms.model_dump(mode="json"), "engineer_id": engineer, "updated_at": now,
            "updated_by": actor.subject}  # fmt: skip

    async def work(tx: Tx) -> None:
        before = await deps.plans.get(site_id, tx.session)
        plan["revision"] = (before or {}).get("revision", 0) + 1
        await deps.plans.put(plan, tx.session)
        await deps.visits.cancel_planned(site_id, now, tx.session)
        await top_up(deps, site_id, now, tx)

    await kit.uow.run(work)
    return await _plan_view(deps, plan)


async def _plan_view(deps: SchedulerDeps, plan: dict[str, Any]) -> PmPlanPublic:
    upcoming = await deps.visits.of_site(plan["_id"], pm.OPEN)
    return PmPlanPublic(site_id=plan["_id"], terms=PmPlanTerms.model_validate(plan["terms"]),
                        updated_at=plan["updated_at"], upcoming=[public(v) for v in upcoming])  # fmt: skip


@visits.get("", response_model=Page[PmVisitPublic], summary="PM visits, earliest first")
async def list_visits(
    _: Staff,
    deps: DepsDep,
    site_id: Identifier | None = None,
    engineer_id: Identifier | None = None,
    status: PmStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> Page[PmVisitPublic]:
    wanted = {"site_id": site_id, "engineer_id": engineer_id, "status": status and status.value}
    filters = {k: v for k, v in wanted.items() if v is not None}
    items, total = await deps.visits.search(filters, limit, offset)
    return Page[PmVisitPublic](items=[public(v) for v in items], total=total)


@visits.get("/{visit_id}", response_model=PmVisitPublic, summary="One PM visit")
async def get_visit(visit_id: str, _: Staff, deps: DepsDep) -> PmVisitPublic:
    return public(await _visit(deps, visit_id))


@visits.post("/{visit_id}/reschedule", response_model=PmVisitPublic, summary="Move a PM visit, with a reason")
async def reschedule(visit_id: str, body: Reschedule, actor: FieldEngineer, deps: DepsDep,
                     kit: KitDep) -> PmVisitPublic:  # fmt: skip
    """The engineer is told again before the new date (the visit is planned again if that is still ahead)."""
    visit = await _visit(deps, visit_id)
    plan = await deps.plans.get(visit["site_id"])
    if plan is None:
        raise Problem(409, "Conflict", "the site's PM plan is gone", slug="conflict")
    now = datetime.now(UTC)
    timing = pm.timing(PmPlanTerms.model_validate(plan["terms"]), body.due_at)
    status = PmStatus.planned if timing["notify_at"] > now else PmStatus(visit["status"])
    if status is PmStatus.overdue and timing["overdue_at"] > now:
        status = PmStatus.due
    entry = {"from": visit["due_at"], "to": body.due_at, "reason": body.reason, "by": actor.subject, "at": now}
    fields = {"due_at": body.due_at, **timing, "status": status.value}

    async def work(tx: Tx) -> bool:
        movable = (PmStatus.planned.value, PmStatus.due.value, PmStatus.overdue.value)
        return await deps.visits.move(visit_id, movable, fields, tx.session, push={"rescheduled": entry})

    if not await kit.uow.run(work):
        raise Problem(409, "Conflict", f"visit {visit_id} is {visit['status']}; only open visits move",
                      slug="conflict")  # fmt: skip
    return public(await _visit(deps, visit_id))


@visits.post("/{visit_id}/complete", response_model=PmVisitPublic, summary="Record a PM visit's check list")
async def complete(visit_id: str, body: PmVisitCompletion, _: FieldEngineer, deps: DepsDep,
                   kit: KitDep) -> PmVisitPublic:  # fmt: skip
    """Completing before the window closes stops `pm.overdue`. A follow-up with `open_incident` is reported
    as a fault (`fault.reported`), so escalation opens an incident for it on the site's contract."""
    visit = await _visit(deps, visit_id)
    now = datetime.now(UTC)
    done = body.model_copy(update={"completed_at": body.completed_at or now})

    async def work(tx: Tx) -> bool:
        fields = {"status": PmStatus.completed.value, "completion": done.model_dump(mode="json"), "completed_at": now}
        if not await deps.visits.move(visit_id, pm.OPEN, fields, tx.session):
            return False
        for n, follow_up in enumerate(body.follow_ups, start=1):
            if follow_up.open_incident:
                await tx.emit(FaultReported(
                    fault_id=f"PMF-{visit_id}-{n}", site_id=visit["site_id"], source="pm", code="PM_FOLLOW_UP",
                    severity=follow_up.severity, description=follow_up.text, reported_at=now,
                ), correlation_id=visit_id)  # fmt: skip
        if visit["status"] == PmStatus.planned.value:
            await top_up(deps, visit["site_id"], now, tx)
        return True

    if not await kit.uow.run(work):
        raise Problem(409, "Conflict", f"visit {visit_id} is {visit['status']}; it cannot be completed again",
                      slug="conflict")  # fmt: skip
    return public(await _visit(deps, visit_id))


@visits.get("/{visit_id}/report", summary="The PM report for the hospital (HTML or PDF, Chinese and English)",
            responses={200: {"content": {"text/html": {}, "application/pdf": {}}}})  # fmt: skip
async def report(visit_id: str, principal: StaffOrSite, deps: DepsDep,
                 format: Literal["html", "pdf"] = "pdf") -> Response:  # fmt: skip
    visit = await _visit(deps, visit_id)
    principal.act_for_site(visit["site_id"])
    if visit["status"] != PmStatus.completed.value:
        raise Problem(409, "Conflict", f"visit {visit_id} is {visit['status']}; a report needs a completed visit",
                      slug="conflict")  # fmt: skip
    site = await deps.sites.get(visit["site_id"]) or {}
    site = {"site_id": visit["site_id"], "name": site.get("name", visit["site_id"]),
            "time_zone": site.get("time_zone", "UTC")}  # fmt: skip
    html = render_html(public(visit), site)
    if format == "html":
        return Response(html, media_type="text/html; charset=utf-8")
    pdf = await render_pdf(html)
    name = f"pm-report-{visit_id}.pdf"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


async def _visit(deps: SchedulerDeps, visit_id: str) -> dict[str, Any]:
    visit = found(await deps.visits.get(visit_id), f"no PM visit {visit_id!r}")
    return visit
