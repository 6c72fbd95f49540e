"""The call centre's page: find the calling hospital, see what is already open there and who is on call, log the
call (a new incident, or added to an open one) and read back the incident id and its response deadline."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.platform import Platform, PlatformError
from pacs_console.adapters.web import csrf_token, csrf_valid
from pacs_console.deps import DepsDep
from pacs_console.domain.i18n import translate
from pacs_console.routes.pages import locale_of, render, session_of
from pacs_console.usecases.sign_in import Session, access_token
from pacs_contracts.common import Identifier
from pacs_kit.deps import KitDep

router = APIRouter(prefix="/console/calls", include_in_schema=False)
TIERS = ("L1", "L2", "L3", "L4")
CLOSED = ("resolved", "closed")
WAIT_FOR_INCIDENT = 8.0  # seconds the page waits for escalation to open the call's incident


def _token(kit: KitDep, session: Session) -> str:
    return access_token(kit.auth.tokens, session.account, timedelta(minutes=2))


async def _sites(platform: Platform, token: str, q: str) -> list[dict[str, Any]]:
    if not q.strip():
        return []
    found: list[dict[str, Any]] = (await platform.get("/api/v1/sites", token, {"q": q.strip()[:100], "limit": 20}))[
        "items"]  # fmt: skip
    return found


async def _site_card(platform: Platform, token: str, site_id: str) -> dict[str, Any] | None:
    """The site with its open incidents and who is on call at each tier, read side by side."""
    try:
        site = await platform.get(f"/api/v1/sites/{site_id}", token)
    except PlatformError as failure:
        if failure.status == 404:
            return None
        raise
    incidents, *on_call = await asyncio.gather(
        platform.get("/api/v1/incidents", token, {"site_id": site_id, "limit": 50}),
        *(platform.get("/api/v1/oncall", token, {"region": site["region"], "tier": tier}) for tier in TIERS),
    )
    terms = site.get("contract") or {}
    warranty_end = terms.get("warranty_end")
    return {"site": site, "open": [i for i in incidents["items"] if i["state"] not in CLOSED],
            "on_call": dict(zip(TIERS, (o.get("engineer_id") for o in on_call), strict=True)),
            "in_warranty": warranty_end is not None and date.fromisoformat(warranty_end) >= datetime.now(UTC).date(),
            "terms": terms}  # fmt: skip


@router.get("/new", response_class=HTMLResponse)
async def new_call(
    request: Request,
    kit: KitDep,
    deps: DepsDep,
    phone: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    site: Annotated[Identifier | None, Query()] = None,
) -> Response:
    """`?phone=` is the deep link a telephony system opens with the caller's number."""
    session = await session_of(request, deps)
    if session is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    locale = locale_of(request, session.account.get("locale"))
    token = _token(kit, session)
    query = q or phone
    sites = await _sites(deps.platform, token, query)
    chosen = site or (sites[0]["site_id"] if len(sites) == 1 else None)
    card = await _site_card(deps.platform, token, chosen) if chosen else None
    return render(request, "call_new.html", locale, q=query, phone=phone, sites=sites, card=card,
                  csrf=csrf_token(kit.auth.tokens.secret, session.token))  # fmt: skip


@router.get("/sites", response_class=HTMLResponse)
async def site_results(request: Request, kit: KitDep, deps: DepsDep,
                       q: Annotated[str, Query(max_length=100)] = "",
                       phone: Annotated[str, Query(max_length=40)] = "") -> Response:  # fmt: skip
    """The matching sites as an HTML fragment, for the search box as the agent types."""
    session = await session_of(request, deps)
    if session is None:
        return Response(status_code=401)
    locale = locale_of(request, session.account.get("locale"))
    sites = await _sites(deps.platform, _token(kit, session), q)
    return render(request, "call_sites.html", locale, sites=sites, q=q, phone=phone)


@router.post("", response_class=HTMLResponse)
async def log_call(
    request: Request,
    kit: KitDep,
    deps: DepsDep,
    site_id: Annotated[Identifier, Form()],
    caller_role: Annotated[str, Form(min_length=1, max_length=200)],
    description: Annotated[str, Form(min_length=1, max_length=4000)],
    severity: Annotated[str, Form(pattern="^(critical|major|minor)$")] = "major",
    callback_phone: Annotated[str, Form(max_length=40)] = "",
    incident_id: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    session = await session_of(request, deps)
    if session is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    locale = locale_of(request, session.account.get("locale"))
    if not csrf_valid(kit.auth.tokens.secret, session.token, csrf):
        return render(request, "refused.html", locale, 403, message=translate(locale, "error.csrf"))
    token = _token(kit, session)
    body = {"site_id": site_id, "caller_role": caller_role, "description": description, "severity": severity,
            "callback_phone": callback_phone or None, "incident_id": incident_id or None}  # fmt: skip
    try:
        call = await deps.platform.post("/api/v1/calls", token, body)
    except PlatformError as failure:
        return render(request, "refused.html", locale, failure.status,
                      message=translate(locale, "incident.refused", detail=failure.detail))  # fmt: skip
    incident = await _incident_of_call(deps.platform, token, call["fault_id"], incident_id or None)
    return render(request, "call_logged.html", locale, 201, call=call, incident=incident, added=bool(incident_id))


async def _incident_of_call(
    platform: Platform, token: str, fault_id: str, attached: str | None
) -> dict[str, Any] | None:
    """The incident to read out: the open one the call was added to, or the one escalation opens for it."""
    if attached:
        found: dict[str, Any] = await platform.get(f"/api/v1/incidents/{attached}", token)
        return found
    deadline = time.monotonic() + WAIT_FOR_INCIDENT
    while time.monotonic() < deadline:
        items = (await platform.get("/api/v1/incidents", token, {"fault_id": fault_id}))["items"]
        if items:
            first: dict[str, Any] = items[0]
            return first
        await asyncio.sleep(0.2)
    return None
