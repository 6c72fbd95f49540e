"""The incident pages: the queue, one incident with its timeline and clocks, and acting on it (acknowledge,
resolve), each read or done through escalation's API with the signed-in user's own token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from pacs_console.adapters.platform import PlatformError
from pacs_console.adapters.web import csrf_token, csrf_valid
from pacs_console.deps import ConsoleDeps, DepsDep
from pacs_console.domain.accounts import subject_of
from pacs_console.domain.i18n import translate
from pacs_console.routes.pages import locale_of, render, session_of
from pacs_console.usecases.sign_in import Session, access_token
from pacs_contracts.common import CausedBy, Identifier
from pacs_kit.deps import KitDep

router = APIRouter(prefix="/console", include_in_schema=False)
STATES = ("opened", "acknowledged", "on_site_required", "on_site", "pending_customer", "resolved", "closed")
ACTIONS = ("acknowledge", "resolve")


def _token(kit: KitDep, session: Session) -> str:
    return access_token(kit.auth.tokens, session.account, timedelta(minutes=2))


def _with_clocks(item: dict[str, Any], now: datetime) -> dict[str, Any]:
    due = item.get("response_due")
    item["due_in"] = (datetime.fromisoformat(due) - now).total_seconds() if due else None
    return item


@router.get("/incidents", response_class=HTMLResponse)
async def incident_queue(
    request: Request,
    kit: KitDep,
    deps: DepsDep,
    view: Annotated[Literal["mine", "all"], Query()] = "all",
    state: Annotated[str | None, Query(pattern=f"^({'|'.join(STATES)})?$")] = None,
    site: Annotated[Identifier | None, Query(max_length=64)] = None,
    fragment: Annotated[bool, Query(description="only the list, for a live page reading it again")] = False,
) -> Response:
    session = await session_of(request, deps)
    if session is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    account = session.account
    locale = locale_of(request, account.get("locale"))
    me = subject_of(account["_id"], account.get("engineer_id"))
    params: dict[str, Any] = {"state": state, "site_id": site, "limit": 100,
                              "assignee_id": me if view == "mine" else None}  # fmt: skip
    error: str | None = None
    items: list[dict[str, Any]] = []
    try:
        items = (await deps.platform.get("/api/v1/incidents", _token(kit, session), params))["items"]
    except PlatformError as failure:
        error = translate(locale, "incidents.unavailable", status=failure.status)
    now = datetime.now(UTC)
    return render(request, "incidents_list.html" if fragment else "incidents.html", locale, account=account,
                  items=[_with_clocks(i, now) for i in items], view=view, state=state or "", site=site or "",
                  states=STATES, error=error)  # fmt: skip


@router.get("/events")
async def changes(request: Request, deps: DepsDep) -> Response:
    """Server-sent events: `incident` with an incident's id whenever one changes, a comment every 15 s."""
    session = await session_of(request, deps)
    if session is None:
        return Response(status_code=401)

    async def stream() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        async with deps.live.page() as changed:
            while not await request.is_disconnected():
                try:
                    incident_id = await asyncio.wait_for(changed.get(), timeout=15)
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                yield f"event: incident\ndata: {incident_id}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})


async def _incident_page(request: Request, kit: KitDep, deps: ConsoleDeps, session: Session, incident_id: str,
                         status: int = 200, error: str | None = None) -> Response:  # fmt: skip
    account = session.account
    locale = locale_of(request, account.get("locale"))
    token = _token(kit, session)
    try:
        incident = await deps.platform.get(f"/api/v1/incidents/{incident_id}", token)
        timeline = await deps.platform.get(f"/api/v1/incidents/{incident_id}/timeline", token)
    except PlatformError as failure:
        if failure.status == 404:  # not there, or outside what this user may see: the same answer
            return render(request, "refused.html", locale, 404, message=translate(locale, "incident.not_found"))
        raise
    return render(request, "incident.html", locale, status, account=account, incident=_with_clocks(incident,
                  datetime.now(UTC)), timeline=timeline, error=error, causes=[c.value for c in CausedBy],
                  csrf=csrf_token(kit.auth.tokens.secret, session.token),
                  may_act="engineer" in account["roles"] or "supervisor" in account["roles"]
                  or "admin" in account["roles"])  # fmt: skip


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(incident_id: Identifier, request: Request, kit: KitDep, deps: DepsDep) -> Response:
    session = await session_of(request, deps)
    if session is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    return await _incident_page(request, kit, deps, session, incident_id)


@router.post("/incidents/{incident_id}/{action}", response_class=HTMLResponse)
async def act(
    incident_id: Identifier,
    action: Literal["acknowledge", "resolve"],
    request: Request,
    kit: KitDep,
    deps: DepsDep,
    csrf: Annotated[str, Form(max_length=128)] = "",
    root_cause: Annotated[str, Form(max_length=4000)] = "",
    resolution: Annotated[str, Form(max_length=4000)] = "",
    caused_by: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    session = await session_of(request, deps)
    if session is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    locale = locale_of(request, session.account.get("locale"))
    if not csrf_valid(kit.auth.tokens.secret, session.token, csrf):
        return render(request, "refused.html", locale, 403, message=translate(locale, "error.csrf"))
    body = {"root_cause": root_cause, "resolution": resolution, "caused_by": caused_by} if action == "resolve" else None
    try:
        await deps.platform.post(f"/api/v1/incidents/{incident_id}/{action}", _token(kit, session), body)
    except PlatformError as failure:
        if failure.status == 404:
            return render(request, "refused.html", locale, 404, message=translate(locale, "incident.not_found"))
        message = translate(locale, "incident.refused", detail=failure.detail)
        return await _incident_page(request, kit, deps, session, incident_id, failure.status, message)
    return RedirectResponse(f"/console/incidents/{incident_id}", status_code=303)


@router.get("/knowledge", response_class=HTMLResponse)
async def knowledge(request: Request, kit: KitDep, deps: DepsDep,
                    q: Annotated[str, Query(max_length=2000)] = "") -> Response:  # fmt: skip
    session = await session_of(request, deps)
    if session is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    locale = locale_of(request, session.account.get("locale"))
    hits: list[dict[str, Any]] = []
    if q.strip():
        found = await deps.platform.get("/api/v1/knowledge/search", _token(kit, session), {"q": q.strip()})
        hits = found["items"]
    return render(request, "knowledge.html", locale, q=q, hits=hits, searched=bool(q.strip()))
