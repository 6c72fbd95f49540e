"""The incident queue: what the signed-in user may see, read through escalation's API with their own token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.platform import PlatformError
from pacs_console.deps import DepsDep
from pacs_console.domain.accounts import subject_of
from pacs_console.domain.i18n import translate
from pacs_console.routes.pages import locale_of, render, session_of
from pacs_console.usecases.sign_in import access_token
from pacs_contracts.common import Identifier
from pacs_kit.deps import KitDep

router = APIRouter(prefix="/console", include_in_schema=False)
STATES = ("opened", "acknowledged", "on_site_required", "on_site", "pending_customer", "resolved", "closed")


@router.get("/incidents", response_class=HTMLResponse)
async def incident_queue(
    request: Request,
    kit: KitDep,
    deps: DepsDep,
    view: Annotated[Literal["mine", "all"], Query()] = "all",
    state: Annotated[str | None, Query(pattern=f"^({'|'.join(STATES)})?$")] = None,
    site: Annotated[Identifier | None, Query(max_length=64)] = None,
) -> Response:
    session = await session_of(request, deps)
    if session is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    account = session.account
    locale = locale_of(request, account.get("locale"))
    token = access_token(kit.auth.tokens, account, timedelta(minutes=2))
    me = subject_of(account["_id"], account.get("engineer_id"))
    params: dict[str, Any] = {"state": state, "site_id": site, "limit": 100,
                              "assignee_id": me if view == "mine" else None}  # fmt: skip
    error: str | None = None
    items: list[dict[str, Any]] = []
    try:
        items = (await deps.platform.get("/api/v1/incidents", token, params))["items"]
    except PlatformError as failure:
        error = translate(locale, "incidents.unavailable", status=failure.status)
    now = datetime.now(UTC)
    for item in items:
        due = item.get("response_due")
        item["due_in"] = (datetime.fromisoformat(due) - now).total_seconds() if due else None
    return render(request, "incidents.html", locale, account=account, items=items, view=view, state=state or "",
                  site=site or "", states=STATES, error=error, now=now)  # fmt: skip
