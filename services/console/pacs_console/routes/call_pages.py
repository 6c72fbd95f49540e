"""The call centre's page: find the calling hospital, see what is already open there, the maintenance running and
who is on call, log the call (a new incident, or added to an open one) and read back the incident id and its
response deadline."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from pacs_console.adapters.platform import Platform, PlatformError
from pacs_console.domain.maintenance import worth_telling
from pacs_console.routes.signed_in import SignedIn, SignedInScript
from pacs_console.usecases.sites import site_facts
from pacs_contracts.common import FINISHED, Identifier

router = APIRouter(prefix="/console/calls", include_in_schema=False)
TIERS = ("L1", "L2", "L3", "L4")
WAIT_FOR_INCIDENT = 8.0  # seconds the page waits for escalation to open the call's incident


async def _sites(platform: Platform, token: str, q: str) -> list[dict[str, Any]]:
    if not q.strip():
        return []
    found: list[dict[str, Any]] = (await platform.get("/api/v1/sites", token, {"q": q.strip()[:100], "limit": 20}))[
        "items"]  # fmt: skip
    return found


async def _maintenance(platform: Platform, token: str, site_id: str) -> list[dict[str, Any]] | None:
    """The site's windows running now and starting soon; None when the scheduler cannot say (the card says so, and
    the call can still be logged). The list comes latest start first: a generous page reaches the soonest."""
    try:
        active, scheduled = await asyncio.gather(
            *(platform.get("/api/v1/maintenance-windows", token, {"site_id": site_id, "state": state, "limit": 100})
              for state in ("active", "scheduled"))
        )  # fmt: skip
    except PlatformError:
        return None
    return worth_telling(active["items"], scheduled["items"], datetime.now(UTC))


async def _site_card(platform: Platform, token: str, site_id: str) -> dict[str, Any] | None:
    """The site with its open incidents, its maintenance and who is on call at each tier, read side by side."""
    try:
        site = await platform.get(f"/api/v1/sites/{site_id}", token)
    except PlatformError as failure:
        if failure.status == 404:
            return None
        raise
    incidents, maintenance, *on_call = await asyncio.gather(
        platform.get("/api/v1/incidents", token, {"site_id": site_id, "limit": 50}),
        _maintenance(platform, token, site_id),
        *(platform.get("/api/v1/oncall", token, {"region": site["region"], "tier": tier}) for tier in TIERS),
    )
    terms = site.get("contract") or {}
    return {"site": site, "open": [i for i in incidents["items"] if i["state"] not in FINISHED],
            "on_call": dict(zip(TIERS, (o.get("engineer_id") for o in on_call), strict=True)),
            "maintenance": maintenance,
            "in_warranty": bool((site.get("service_now") or {}).get("in_warranty")),
            "terms": terms}  # fmt: skip


@router.get("/new", response_class=HTMLResponse)
async def new_call(
    visit: SignedIn,
    phone: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    site: Annotated[Identifier | None, Query()] = None,
) -> Response:
    """`?phone=` is the deep link a telephony system opens with the caller's number."""
    token = visit.token()
    query = q or phone
    sites = await _sites(visit.deps.platform, token, query)
    chosen = site or (sites[0]["site_id"] if len(sites) == 1 else None)
    card = await _site_card(visit.deps.platform, token, chosen) if chosen else None
    return visit.page("call_new.html", q=query, phone=phone, sites=sites, card=card, csrf=visit.csrf)


@router.get("/sites", response_class=HTMLResponse)
async def site_results(visit: SignedInScript, q: Annotated[str, Query(max_length=100)] = "",
                       phone: Annotated[str, Query(max_length=40)] = "") -> Response:  # fmt: skip
    """The matching sites as an HTML fragment, for the search box as the agent types."""
    sites = await _sites(visit.deps.platform, visit.token(), q)
    return visit.page("call_sites.html", sites=sites, q=q, phone=phone)


@router.post("", response_class=HTMLResponse)
async def log_call(
    visit: SignedIn,
    site_id: Annotated[Identifier, Form()],
    caller_role: Annotated[str, Form(min_length=1, max_length=200)],
    description: Annotated[str, Form(min_length=1, max_length=4000)],
    severity: Annotated[str, Form(pattern="^(critical|major|minor)$")] = "major",
    callback_phone: Annotated[str, Form(max_length=40)] = "",
    incident_id: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if refused := visit.refusal(csrf):
        return refused
    token = visit.token()
    body = {"site_id": site_id, "caller_role": caller_role, "description": description, "severity": severity,
            "callback_phone": callback_phone or None, "incident_id": incident_id or None}  # fmt: skip
    try:
        call = await visit.deps.platform.post("/api/v1/calls", token, body)
    except PlatformError as failure:
        return visit.refuse(failure.status, "incident.refused", detail=failure.detail)
    incident, sites = await asyncio.gather(
        _incident_of_call(visit.deps.platform, token, call["fault_id"], incident_id or None),
        site_facts(visit.deps.platform, token, {site_id}),
    )
    return visit.page("call_logged.html", 201, call=call, incident=incident, added=bool(incident_id),
                      time_zone=sites[site_id]["time_zone"])  # fmt: skip


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
