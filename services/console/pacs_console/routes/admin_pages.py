"""Administrators' pages: the staff accounts (read from the console's own collection)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from pacs_console.routes.signed_in import SignedIn

router = APIRouter(prefix="/console/admin", include_in_schema=False)


@router.get("/accounts", response_class=HTMLResponse)
async def accounts_page(visit: SignedIn) -> Response:
    if not visit.has_role("admin"):
        return visit.refuse(403, "error.admin_only")
    return visit.page("accounts.html", accounts=await visit.deps.accounts.page(None, 200))
