"""Hospitals and their contracts: every site with its terms in words, and, for admins, registering a hospital and
changing its contract (response and on-site times, the ladder, working hours, the software downtime budget)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.platform import PlatformError
from pacs_console.routes.signed_in import SignedIn, Visit
from pacs_contracts.common import Identifier, parse_duration

router = APIRouter(prefix="/console/sites", include_in_schema=False)
LADDER = ("L2", "L3", "L4")
DEFAULT_TERMS = {"response": "PT2H", "on_site": "PT6H", "software_downtime_budget": "PT4H",
                 "ladder": [{"after": "PT2H", "tier": "L2"}, {"after": "PT4H", "tier": "L3"},
                            {"after": "PT8H", "tier": "L4"}]}  # fmt: skip


def _hours(iso: str | None) -> str:
    """ "PT2H30M" → "2.5" for the form's hour fields."""
    if not iso:
        return ""
    hours = parse_duration(iso) / timedelta(hours=1)
    return f"{hours:g}"


def _duration(hours: object) -> str:
    """Hours as typed ("2", "1.5") → an ISO-8601 duration in whole minutes ("PT2H", "PT90M")."""
    minutes = round(float(str(hours).strip()) * 60)
    if minutes <= 0:
        raise ValueError("a duration must be more than zero")
    return f"PT{minutes // 60}H" if minutes % 60 == 0 else f"PT{minutes}M"


def to_form(site: dict[str, Any] | None) -> dict[str, Any]:
    """A site's terms as the contract form shows them (the usual terms for a new one)."""
    terms: dict[str, Any] = (site or {}).get("contract") or DEFAULT_TERMS
    steps = {s["tier"]: _hours(s["after"]) for s in terms.get("ladder", [])}
    calendar: dict[str, Any] = terms.get("calendar") or {}
    hours = calendar.get("hours") or [{"weekday": d, "start": "08:00", "end": "17:30"} for d in range(5)]
    return {
        "warranty_start": terms.get("warranty_start") or "",
        "warranty_end": terms.get("warranty_end") or "",
        "response": _hours(terms.get("response")),
        "on_site": _hours(terms.get("on_site")),
        "budget": _hours(terms.get("software_downtime_budget")),
        "ladder": {t: steps.get(t, "") for t in LADDER},
        "calendar": bool(calendar),
        "zone": calendar.get("time_zone") or (site or {}).get("time_zone", "Asia/Shanghai"),
        "start": str(hours[0]["start"])[:5],
        "end": str(hours[0]["end"])[:5],
        "days": sorted({h["weekday"] for h in hours}),
        "holidays": "\n".join(calendar.get("holidays", [])),
        "always": bool(terms.get("working_hours_always")),
    }


# the terms the page edits; the others (availability commitment, remote-access approvers and cap) are kept as they are
FORM_TERMS = frozenset({"warranty_start", "warranty_end", "response", "on_site", "software_downtime_budget", "ladder",
                        "working_hours_always", "calendar"})  # fmt: skip


def from_form(form: dict[str, Any]) -> dict[str, Any]:
    """The contract terms from the form; ValueError for a number that is not one."""
    terms: dict[str, Any] = {
        "warranty_start": form.get("warranty_start") or None, "warranty_end": form.get("warranty_end") or None,
        "response": _duration(form.get("response")), "on_site": _duration(form.get("on_site")),
        "software_downtime_budget": _duration(form.get("budget")),
        "ladder": [{"after": _duration(form[f"ladder-{t}"]), "tier": t} for t in LADDER if form.get(f"ladder-{t}")],
        "working_hours_always": form.get("always") == "on",
    }  # fmt: skip
    if form.get("calendar") == "on":
        hours = [{"weekday": int(d), "start": form.get("start"), "end": form.get("end")} for d in form.get("days", [])]
        holidays = [line.strip() for line in str(form.get("holidays") or "").splitlines() if line.strip()]
        terms["calendar"] = {"time_zone": str(form.get("zone") or "Asia/Shanghai").strip(), "hours": hours,
                             "holidays": holidays}  # fmt: skip
    return terms


@router.get("", response_class=HTMLResponse)
async def sites(visit: SignedIn, q: str = Query("", max_length=100)) -> Response:
    token = visit.token()
    if q.strip():
        found = (await visit.deps.platform.get("/api/v1/sites", token, {"q": q.strip(), "limit": 50}))["items"]
    else:
        found = (await visit.deps.platform.get("/api/v1/sites", token, {"limit": 200}))["items"]
    engineers = []
    if visit.has_role("admin"):
        listed = (await visit.deps.platform.get("/api/v1/engineers", token, {"limit": 200}))["items"]
        engineers = [e for e in listed if not e.get("retired_at")]
    return visit.page("sites.html", sites=found, q=q, may_edit=visit.has_role("admin"), engineers=engineers,
                      csrf=visit.csrf)  # fmt: skip


async def _site_page(visit: Visit, site_id: str, status: int = 200, error: str | None = None,
                     form: dict[str, Any] | None = None) -> Response:  # fmt: skip
    try:
        site = await visit.deps.platform.get(f"/api/v1/sites/{site_id}", visit.token())
    except PlatformError as failure:
        if failure.status == 404:
            return visit.refuse(404, "sites.not_found")
        raise
    return visit.page("site.html", status, site=site, terms=site["contract"], form=form or to_form(site),
                      error=error, csrf=visit.csrf, may_edit=visit.has_role("admin"), ladder=LADDER)  # fmt: skip


@router.get("/{site_id}", response_class=HTMLResponse)
async def site_page(site_id: Identifier, visit: SignedIn) -> Response:
    return await _site_page(visit, site_id)


@router.post("/{site_id}/contract", response_class=HTMLResponse)
async def change_contract(site_id: Identifier, visit: SignedIn) -> Response:
    form = await visit.form("days")
    if refused := visit.refusal(str(form.get("csrf") or ""), admin=True):
        return refused
    try:
        terms = from_form(form)
    except ValueError:
        return await _site_page(visit, site_id, 422, visit.say("sites.bad_hours"))
    try:
        current = await visit.deps.platform.get(f"/api/v1/sites/{site_id}", visit.token())
        kept = {k: v for k, v in current["contract"].items() if k not in FORM_TERMS}
        await visit.deps.platform.put(f"/api/v1/sites/{site_id}/contract", visit.token(), {**kept, **terms})
    except PlatformError as failure:
        if failure.status == 404:
            return visit.refuse(404, "sites.not_found")
        return await _site_page(visit, site_id, failure.status, visit.say("incident.refused", detail=failure.detail))
    return RedirectResponse(f"/console/sites/{site_id}?saved=1", status_code=303)


def _listed(text: object) -> list[str]:
    return [part.strip() for part in str(text or "").replace("，", ",").split(",") if part.strip()]


@router.post("", response_class=HTMLResponse)
async def register(visit: SignedIn) -> Response:
    """A new hospital with the usual contract terms; its contract is then set on its own page."""
    form = await visit.form("days")
    if refused := visit.refusal(str(form.get("csrf") or ""), admin=True):
        return refused
    site_id = str(form.get("site_id") or "").strip().upper()
    body = {"site_id": site_id, "name": str(form.get("name") or "").strip(),
            "region": str(form.get("region") or "").strip(), "time_zone": form.get("time_zone") or "Asia/Shanghai",
            "account_engineer_id": form.get("account_engineer_id"), "contract": DEFAULT_TERMS,
            "phones": _listed(form.get("phones")), "city": str(form.get("city") or "").strip() or None,
            "aliases": _listed(form.get("aliases"))}  # fmt: skip
    try:
        await visit.deps.platform.post("/api/v1/sites", visit.token(), body)
    except PlatformError as failure:
        return visit.refuse(failure.status, "incident.refused", detail=failure.detail)
    return RedirectResponse(f"/console/sites/{site_id}", status_code=303)
