"""The incident pages: the queue with its filters, one incident with its timeline and clocks, and acting on it
(every step of its lifecycle, escalating with a reason), each read or done through escalation's API with the
signed-in user's own token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from pacs_console.adapters.platform import PlatformError
from pacs_console.domain.accounts import subject_of
from pacs_console.routes.signed_in import SignedIn, SignedInScript, Visit
from pacs_console.usecases.sites import site_facts
from pacs_contracts.common import CausedBy, Identifier, IncidentState

router = APIRouter(prefix="/console", include_in_schema=False)
VIEWS = ("all", "mine", "region", "escalated", "due")
AT_RISK = timedelta(minutes=30)  # the "due soon" view: a deadline falls within this
REASONED = ("pending", "escalate", "reopen")  # actions that carry a reason
Action = Literal["acknowledge", "request-on-site", "check-in", "pending", "resume", "resolve", "reopen", "close",
                 "escalate"]  # fmt: skip


def _filters(view: str, visit: Visit, now: datetime) -> dict[str, Any]:
    account = visit.account
    me = subject_of(account["_id"], account.get("engineer_id"))
    if view == "mine":
        return {"assignee_id": me}
    if view == "escalated":
        return {"assignee_id": me, "escalated": "true"}
    if view == "due":
        return {"due_before": (now + AT_RISK).isoformat()}
    return {}


@router.get("/incidents", response_class=HTMLResponse)
async def incident_queue(
    visit: SignedIn,
    view: Annotated[Literal["all", "mine", "region", "escalated", "due"], Query()] = "all",
    state: Annotated[str | None, Query(pattern=f"^({'|'.join(IncidentState)})?$")] = None,
    site: Annotated[str, Query(max_length=64, description="empty: every site")] = "",
    region: Annotated[str, Query(max_length=64, description="empty: every region")] = "",
    fragment: Annotated[bool, Query(description="only the list, for a live page reading it again")] = False,
) -> Response:
    now = datetime.now(UTC)
    regions = list(visit.account.get("regions") or [])
    if view == "region" and not region and regions:
        region = regions[0]
    params: dict[str, Any] = {"state": state, "site_id": site.strip(), "region": region.strip(), "limit": 100,
                              **_filters(view, visit, now)}  # fmt: skip
    error: str | None = None
    items: list[dict[str, Any]] = []
    token = visit.token()
    try:
        items = (await visit.deps.platform.get("/api/v1/incidents", token, params))["items"]
    except PlatformError as failure:
        error = visit.say("incidents.unavailable", status=failure.status)
    sites = await site_facts(visit.deps.platform, token, {i["site_id"] for i in items})
    return visit.page("incidents_list.html" if fragment else "incidents.html", items=items, sites=sites, view=view,
                      views=VIEWS, state=state or "", site=site, region=region, regions=regions,
                      states=list(IncidentState), error=error)  # fmt: skip


@router.get("/events")
async def changes(visit: SignedInScript) -> Response:
    """Server-sent events: `incident` with an incident's id whenever one changes, a comment every 15 s."""
    request = visit.request

    async def stream() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        async with visit.deps.live.page() as changed:
            while not await request.is_disconnected():
                try:
                    incident_id = await asyncio.wait_for(changed.get(), timeout=15)
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                yield f"event: incident\ndata: {incident_id}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})


async def _incident_page(visit: Visit, incident_id: str, status: int = 200, error: str | None = None) -> Response:
    token = visit.token()
    platform = visit.deps.platform
    try:
        incident, timeline = await asyncio.gather(
            platform.get(f"/api/v1/incidents/{incident_id}", token),
            platform.get(f"/api/v1/incidents/{incident_id}/timeline", token),
        )
    except PlatformError as failure:
        if failure.status == 404:  # not there, or outside what this user may see: the same answer
            return visit.refuse(404, "incident.not_found")
        raise
    site = (await site_facts(platform, token, {incident["site_id"]}))[incident["site_id"]]
    return visit.page("incident.html", status, incident=incident, timeline=timeline, site=site, error=error,
                      causes=list(CausedBy), csrf=visit.csrf,
                      may_act=visit.has_role("engineer", "supervisor", "admin"),
                      finished=incident["state"] in ("resolved", "closed"))  # fmt: skip


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(incident_id: Identifier, visit: SignedIn) -> Response:
    return await _incident_page(visit, incident_id)


def _body(action: str, form: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    if action in REASONED:
        return {"reason": form["reason"]}
    if action != "resolve":
        return None
    body = {k: form[k] for k in ("root_cause", "resolution", "caused_by")}
    if form["down_minutes"]:
        body |= {"whole_system_down": True, "down_from": (now - timedelta(minutes=form["down_minutes"])).isoformat()}
    return body


@router.post("/incidents/{incident_id}/{action}", response_class=HTMLResponse)
async def act(
    incident_id: Identifier,
    action: Action,
    visit: SignedIn,
    csrf: Annotated[str, Form(max_length=128)] = "",
    root_cause: Annotated[str, Form(max_length=4000)] = "",
    resolution: Annotated[str, Form(max_length=4000)] = "",
    caused_by: Annotated[str, Form(max_length=32)] = "",
    down_minutes: Annotated[int, Form(ge=0, le=100_000)] = 0,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if refused := visit.refusal(csrf):
        return refused
    form = {"root_cause": root_cause, "resolution": resolution, "caused_by": caused_by,
            "down_minutes": down_minutes, "reason": reason}  # fmt: skip
    try:
        await visit.deps.platform.post(f"/api/v1/incidents/{incident_id}/{action}", visit.token(),
                                       _body(action, form, datetime.now(UTC)))  # fmt: skip
    except PlatformError as failure:
        if failure.status == 404:
            return visit.refuse(404, "incident.not_found")
        return await _incident_page(visit, incident_id, failure.status,
                                    visit.say("incident.refused", detail=failure.detail))  # fmt: skip
    return RedirectResponse(f"/console/incidents/{incident_id}", status_code=303)


async def _search(visit: Visit, q: str, limit: int) -> list[dict[str, Any]]:
    if not q.strip():
        return []
    found = await visit.deps.platform.get("/api/v1/knowledge/search", visit.token(), {"q": q.strip(), "limit": limit})
    hits: list[dict[str, Any]] = found["items"]
    return hits


@router.get("/knowledge", response_class=HTMLResponse)
async def knowledge(visit: SignedIn, q: Annotated[str, Query(max_length=2000)] = "") -> Response:
    return visit.page("knowledge.html", q=q, hits=await _search(visit, q, 10), searched=bool(q.strip()))


@router.get("/knowledge/similar", response_class=HTMLResponse)
async def similar(
    visit: SignedInScript,
    q: Annotated[str, Query(max_length=2000)] = "",
    not_: Annotated[str, Query(alias="not", max_length=64, description="the incident being resolved")] = "",
) -> Response:
    """Past cases like what the engineer is typing, as a fragment beside the resolve form (not the incident itself,
    filed already when it was escalated)."""
    hits = await _search(visit, q, 4) if len(q.strip()) >= 4 else []
    return visit.page("similar.html", hits=[h for h in hits if h["external_id"] != not_][:3])
