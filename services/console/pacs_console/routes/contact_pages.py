"""An engineer's own contacts and notification rules: how and when notify reaches them, set from a phone through
notify's API (the engineer's own record only; notify refuses anyone else's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.platform import PlatformError
from pacs_console.routes.signed_in import SignedIn, Visit
from pacs_contracts.common import parse_duration

router = APIRouter(prefix="/console/me", include_in_schema=False)
PROVIDERS = ("fcm", "jpush", "ntfy", "webhook")
PUSH_ROWS, RULE_ROWS = 2, 3  # rows the form offers (the API takes up to 10 targets and 5 rules)


def _minutes(iso: str | None) -> str:
    """ "PT15M" → "15" for the form's minute fields."""
    return str(int(parse_duration(iso).total_seconds() // 60)) if iso else ""


def to_form(contacts: dict[str, Any]) -> dict[str, Any]:
    """The stored contacts as the form shows them, with blank rows to add to."""
    push = [*contacts.get("push", []), *([{"provider": "fcm", "address": ""}] * PUSH_ROWS)][:PUSH_ROWS]
    rules = [{"channel": r["channel"], "after": _minutes(r.get("after")), "repeat": _minutes(r.get("repeat"))}
             for r in contacts.get("rules", [])]  # fmt: skip
    rules = [*rules, *([{"channel": "", "after": "", "repeat": ""}] * RULE_ROWS)][:RULE_ROWS]
    hours = contacts.get("working_hours") or {}
    return {"phones": "\n".join(contacts.get("phones", [])), "push": push, "rules": rules,
            "time_zone": contacts.get("time_zone", "Asia/Shanghai"), "locale": contacts.get("locale") or "",
            "start": str(hours.get("start", "08:30"))[:5], "end": str(hours.get("end", "17:30"))[:5],
            "days": hours.get("days", [1, 2, 3, 4, 5])}  # fmt: skip


def from_form(form: dict[str, Any]) -> dict[str, Any]:
    """The contacts body from the form: blank rows left out, minutes as ISO durations."""
    push = [{"provider": form.get(f"push-provider-{n}"), "address": str(form.get(f"push-address-{n}") or "").strip()}
            for n in range(PUSH_ROWS)]  # fmt: skip
    rules = []
    for n in range(RULE_ROWS):
        channel = form.get(f"rule-channel-{n}")
        if not channel:
            continue
        repeat = str(form.get(f"rule-repeat-{n}") or "").strip()
        rules.append({"channel": channel, "after": f"PT{int(form.get(f'rule-after-{n}') or 0)}M",
                      "repeat": f"PT{int(repeat)}M" if repeat and int(repeat) > 0 else None})  # fmt: skip
    return {
        "phones": [p.strip() for p in str(form.get("phones") or "").splitlines() if p.strip()],
        "push": [p for p in push if p["address"]],
        "locale": form.get("locale") or None,
        "time_zone": str(form.get("time_zone") or "Asia/Shanghai").strip(),
        "working_hours": {
            "start": form.get("start") or "08:30",
            "end": form.get("end") or "17:30",
            "days": sorted(int(d) for d in form.get("days", [])),
        },
        "rules": rules,
    }


def _engineer(visit: Visit) -> str | None:
    found: str | None = visit.account.get("engineer_id")
    return found


async def _page(visit: Visit, values: dict[str, Any], status: int = 200, error: str | None = None,
                saved: bool = False) -> Response:  # fmt: skip
    return visit.page("contacts.html", status, form=values, providers=PROVIDERS, error=error, saved=saved,
                      csrf=visit.csrf)  # fmt: skip


@router.get("/contacts", response_class=HTMLResponse)
async def my_contacts(visit: SignedIn, saved: bool = False) -> Response:
    engineer = _engineer(visit)
    if engineer is None:
        return visit.refuse(403, "error.engineer_only")
    contacts = await visit.deps.platform.get(f"/api/v1/engineers/{engineer}/contacts", visit.token())
    return await _page(visit, to_form(contacts), saved=saved)


@router.post("/contacts", response_class=HTMLResponse)
async def save_contacts(visit: SignedIn) -> Response:
    engineer = _engineer(visit)
    if engineer is None:
        return visit.refuse(403, "error.engineer_only")
    form = await visit.form("days")
    if refused := visit.refusal(str(form.get("csrf") or "")):
        return refused
    try:
        body = from_form(form)
    except ValueError:
        return await _page(visit, to_form({}), 422, visit.say("contacts.bad_minutes"))
    try:
        await visit.deps.platform.put(f"/api/v1/engineers/{engineer}/contacts", visit.token(), body)
    except PlatformError as failure:
        shown = {**to_form(body), "phones": str(form.get("phones") or "")}
        return await _page(visit, shown, failure.status, visit.say("incident.refused", detail=failure.detail))
    return RedirectResponse("/console/me/contacts?saved=1", status_code=303)
