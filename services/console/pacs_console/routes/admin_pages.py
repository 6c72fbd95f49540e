"""Administrators' pages: the staff accounts (read from the console's own collection)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.deps import DepsDep
from pacs_console.domain.i18n import translate
from pacs_console.routes.pages import locale_of, render, session_of

router = APIRouter(prefix="/console/admin", include_in_schema=False)


@router.get("/accounts", response_class=HTMLResponse)
async def accounts_page(request: Request, deps: DepsDep) -> Response:
    session = await session_of(request, deps)
    if session is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    locale = locale_of(request, session.account.get("locale"))
    if "admin" not in session.account["roles"]:
        return render(request, "refused.html", locale, 403, message=translate(locale, "error.admin_only"))
    accounts = await deps.accounts.page(None, 200)
    return render(request, "accounts.html", locale, accounts=accounts)
