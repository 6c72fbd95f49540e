"""Administrators' pages of the hospitals' API keys: issued, shown once, revoked through intake's API. (Staff
accounts have theirs in account_pages.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.platform import PlatformError
from pacs_console.routes.signed_in import SignedIn, Visit
from pacs_contracts.common import Identifier

router = APIRouter(prefix="/console/admin", include_in_schema=False)


async def _keys_page(visit: Visit, site: str, status: int = 200, issued: dict[str, Any] | None = None,
                     error: str | None = None) -> Response:  # fmt: skip
    token = visit.token()
    keys = (await visit.deps.platform.get("/api/v1/site-keys", token, {"site_id": site or None}))["items"]
    sites = (await visit.deps.platform.get("/api/v1/sites", token, {"limit": 200}))["items"]
    return visit.page("site_keys.html", status, keys=keys, sites=sites, site=site, issued=issued, error=error,
                      csrf=visit.csrf)  # fmt: skip


@router.get("/site-keys", response_class=HTMLResponse)
async def site_keys(visit: SignedIn, site: Annotated[str, Query(max_length=64)] = "") -> Response:
    if not visit.has_role("admin"):
        return visit.refuse(403, "error.admin_only")
    return await _keys_page(visit, site.strip())


@router.post("/site-keys", response_class=HTMLResponse)
async def issue_key(
    visit: SignedIn,
    site_id: Annotated[Identifier, Form()],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    expires_days: Annotated[int | None, Form(ge=1, le=3650)] = None,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The new key on the page that answers this form, once: it is not kept, so it cannot be shown again."""
    if refused := visit.refusal(csrf, admin=True):
        return refused
    body = {"site_id": site_id, "name": name.strip(), "expires_days": expires_days}
    try:
        issued = await visit.deps.platform.post("/api/v1/site-keys", visit.token(), body)
    except PlatformError as failure:
        return await _keys_page(visit, site_id, failure.status, error=visit.say("incident.refused",
                                                                                detail=failure.detail))  # fmt: skip
    return await _keys_page(visit, site_id, 201, issued=issued)


@router.post("/site-keys/{key_id}/revoke", response_class=HTMLResponse)
async def revoke_key(key_id: Identifier, visit: SignedIn, csrf: Annotated[str, Form(max_length=128)] = "",
                     site: Annotated[str, Form(max_length=64)] = "") -> Response:  # fmt: skip
    if refused := visit.refusal(csrf, admin=True):
        return refused
    await visit.deps.platform.delete(f"/api/v1/site-keys/{key_id}", visit.token())
    return RedirectResponse(f"/console/admin/site-keys?site={site}", status_code=303)
