"""Supervisors' pages: the escalation board (open incidents by region and tier, those at risk and breached, live)
and the rosters (who holds the pager now and next, the overrides; admins add one)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.platform import Platform, PlatformError
from pacs_console.routes.signed_in import SignedIn, Visit
from pacs_console.usecases.sites import site_facts
from pacs_contracts.common import Identifier, Tier

router = APIRouter(prefix="/console", include_in_schema=False)
OVERSEERS = ("supervisor", "admin")


@router.get("/board", response_class=HTMLResponse)
async def escalation_board(visit: SignedIn, fragment: bool = False) -> Response:
    if not visit.has_role(*OVERSEERS):
        return visit.refuse(403, "error.supervisor_only")
    token = visit.token()
    shown = await visit.deps.platform.get("/api/v1/incidents/board", token)
    listed = [*shown["at_risk"], *shown["breached"]]
    sites = await site_facts(visit.deps.platform, token, {i["site_id"] for i in listed})
    regions = sorted({c["region"] for c in shown["cells"]})
    cells = {(c["region"], c["tier"]): c for c in shown["cells"]}
    return visit.page("board_list.html" if fragment else "board.html", board=shown, sites=sites, regions=regions,
                      tiers=list(Tier), cells=cells)  # fmt: skip


async def _tier(platform: Platform, token: str, region: str, tier: Tier) -> dict[str, Any]:
    """A tier's roster in a region, who is on call now and who takes over next."""
    now = await platform.get("/api/v1/oncall", token, {"region": region, "tier": tier.value})
    following = None
    if now.get("until"):
        following = await platform.get("/api/v1/oncall", token, {"region": region, "tier": tier.value,
                                                                   "at": now["until"]})  # fmt: skip
    try:
        roster = await platform.get(f"/api/v1/rosters/{region}/{tier.value}", token)
    except PlatformError as failure:
        if failure.status != 404:
            raise
        roster = None
    return {"tier": tier.value, "now": now, "next": following, "roster": roster}


async def _rosters_page(visit: Visit, region: str, status: int = 200, error: str | None = None) -> Response:
    token = visit.token()
    tiers = await asyncio.gather(*(_tier(visit.deps.platform, token, region, tier) for tier in Tier))
    engineers = (await visit.deps.platform.get("/api/v1/engineers", token, {"limit": 200}))["items"]
    return visit.page("rosters.html", status, region=region, tiers=tiers, error=error, csrf=visit.csrf,
                      may_edit=visit.has_role("admin"), engineers=[e for e in engineers if not e.get("retired_at")],
                      regions=sorted({region, *(e["region"] for e in engineers)}))  # fmt: skip


@router.get("/rosters", response_class=HTMLResponse)
async def rosters(visit: SignedIn, region: Annotated[Identifier | None, Query()] = None) -> Response:
    if not visit.has_role(*OVERSEERS):
        return visit.refuse(403, "error.supervisor_only")
    return await _rosters_page(visit, region or (visit.account.get("regions") or ["east"])[0])


@router.post("/rosters/{region}/{tier}/overrides", response_class=HTMLResponse)
async def add_override(
    region: Identifier,
    tier: Tier,
    visit: SignedIn,
    engineer_id: Annotated[Identifier, Form()],
    start: Annotated[str, Form(max_length=32)],
    end: Annotated[str, Form(max_length=32)],
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Someone else holds the pager for a while: the roster, read and written back with the override added."""
    if refused := visit.refusal(csrf, admin=True):
        return refused
    token = visit.token()
    try:
        roster = await visit.deps.platform.get(f"/api/v1/rosters/{region}/{tier.value}", token)
        zone = ZoneInfo(roster["time_zone"])
        span = [datetime.fromisoformat(t).replace(tzinfo=zone).isoformat() for t in (start, end)]
    except PlatformError as failure:
        return await _rosters_page(visit, region, failure.status, visit.say("incident.refused", detail=failure.detail))
    except ValueError:
        return await _rosters_page(visit, region, 422, visit.say("rosters.bad_time"))
    body = {k: roster[k] for k in ("time_zone", "engineers", "rotation_start", "shift")}
    body["overrides"] = [*roster["overrides"], {"engineer_id": engineer_id, "start": span[0], "end": span[1]}]
    try:
        await visit.deps.platform.put(f"/api/v1/rosters/{region}/{tier.value}", token, body)
    except PlatformError as failure:
        return await _rosters_page(visit, region, failure.status, visit.say("incident.refused", detail=failure.detail))
    return RedirectResponse(f"/console/rosters?region={region}", status_code=303)
