"""Preventive maintenance from a phone: my visits, one visit's check list filled in on site, and its bilingual
report to download for the hospital; read and recorded through the scheduler's API as the signed-in user."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.platform import PlatformError
from pacs_console.routes.signed_in import SignedIn, Visit
from pacs_console.usecases.sites import site_facts
from pacs_contracts.api import ChecklistItem, CheckResult
from pacs_contracts.checklist import LABELS, RESULT_LABELS
from pacs_contracts.common import Identifier, Severity

router = APIRouter(prefix="/console/pm", include_in_schema=False)
OPEN = ("planned", "due", "overdue")
FIELD = 200  # the longest value a check list field takes (the contract's short text)


def _label(locale: str, pair: tuple[str, str]) -> str:
    return pair[0] if locale == "zh-CN" else pair[1]


@router.get("", response_class=HTMLResponse)
async def my_visits(visit: SignedIn, show: Annotated[Literal["open", "completed"], Query()] = "open") -> Response:
    engineer = visit.account.get("engineer_id")
    if engineer is None and not visit.has_role("supervisor", "admin"):
        return visit.refuse(403, "error.engineer_only")
    token = visit.token()
    statuses = OPEN if show == "open" else ("completed",)
    pages = await asyncio.gather(*(visit.deps.platform.get("/api/v1/pm-visits", token, {
        "engineer_id": engineer, "status": status, "limit": 100}) for status in statuses))  # fmt: skip
    items = sorted((v for page in pages for v in page["items"]), key=lambda v: v["due_at"])
    sites = await site_facts(visit.deps.platform, token, {v["site_id"] for v in items})
    return visit.page("pm_visits.html", items=items, sites=sites, show=show)


async def _visit_page(visit: Visit, visit_id: str, status: int = 200, error: str | None = None) -> Response:
    token = visit.token()
    try:
        found = await visit.deps.platform.get(f"/api/v1/pm-visits/{visit_id}", token)
    except PlatformError as failure:
        if failure.status == 404:
            return visit.refuse(404, "pm.not_found")
        raise
    site = (await site_facts(visit.deps.platform, token, {found["site_id"]}))[found["site_id"]]
    items = [(item.value, _label(visit.locale, LABELS[item])) for item in ChecklistItem]
    results = [(r.value, _label(visit.locale, RESULT_LABELS[r])) for r in CheckResult]
    return visit.page("pm_visit.html", status, pm=found, site=site, items=items, results=results, error=error,
                      severities=list(Severity), csrf=visit.csrf, may_act=visit.has_role("engineer", "supervisor",
                      "admin") and found["status"] in OPEN)  # fmt: skip


@router.get("/{visit_id}", response_class=HTMLResponse)
async def pm_visit(visit_id: Identifier, visit: SignedIn) -> Response:
    return await _visit_page(visit, visit_id)


def completion(form: dict[str, Any], engineer_id: str) -> dict[str, Any]:
    """The scheduler's completion body from the check list form (every item's result, value and note)."""

    def text(name: str, limit: int = FIELD) -> str | None:
        value = str(form.get(name) or "").strip()[:limit]
        return value or None

    checklist = [{"item": item.value, "result": form.get(f"result-{item.value}") or "ok",
                  "value": text(f"value-{item.value}"), "note": text(f"note-{item.value}", 4000)}
                 for item in ChecklistItem]  # fmt: skip
    follow_up = text("follow_up")
    return {
        "engineer_id": engineer_id, "system": text("system"), "checklist": checklist,
        "findings": text("findings", 4000), "actions": text("actions", 4000),
        "follow_ups": [{"text": follow_up, "open_incident": form.get("open_incident") == "on",
                        "severity": form.get("severity") or "minor"}] if follow_up else [],
        "hospital_signatory": text("hospital_signatory"),
    }  # fmt: skip


@router.post("/{visit_id}/complete", response_class=HTMLResponse)
async def complete(visit_id: Identifier, visit: SignedIn) -> Response:
    form = await visit.form()
    if refused := visit.refusal(str(form.get("csrf") or "")):
        return refused
    token = visit.token()
    try:
        found = await visit.deps.platform.get(f"/api/v1/pm-visits/{visit_id}", token)
        engineer = visit.account.get("engineer_id") or found["engineer_id"]
        await visit.deps.platform.post(f"/api/v1/pm-visits/{visit_id}/complete", token, completion(form, engineer))
    except PlatformError as failure:
        if failure.status == 404:
            return visit.refuse(404, "pm.not_found")
        return await _visit_page(visit, visit_id, failure.status, visit.say("incident.refused", detail=failure.detail))
    return RedirectResponse(f"/console/pm/{visit_id}", status_code=303)


@router.get("/{visit_id}/report.pdf")
async def report(visit_id: Identifier, visit: SignedIn) -> Response:
    """The scheduler's bilingual PDF report, passed on to the browser (which holds no platform token of its own)."""
    body, media_type = await visit.deps.platform.document(f"/api/v1/pm-visits/{visit_id}/report", visit.token(),
                                                          {"format": "pdf"})  # fmt: skip
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="pm-report-{visit_id}.pdf"'})  # fmt: skip
