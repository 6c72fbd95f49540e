"""The console's pages: sign-in, the signed-in home, sign-out. Forms carry a CSRF token; the session cookie is
HttpOnly and SameSite=Strict."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.web import csrf_token, csrf_valid
from pacs_console.deps import ConsoleDeps, DepsDep
from pacs_console.domain.i18n import translate
from pacs_console.routes.auth import COOKIE, set_session_cookie
from pacs_console.routes.signed_in import SignedIn, locale_of, render
from pacs_console.usecases.sign_in import SignInRefused, resume, sign_in
from pacs_kit.deps import KitDep

router = APIRouter(prefix="/console", include_in_schema=False)
PRE_SESSION = "pso_presession"  # binds the sign-in form's CSRF token before there is a session


def _secret(kit: KitDep) -> str:
    return kit.auth.tokens.secret


def _sign_in_page(request: Request, kit: KitDep, deps: ConsoleDeps, status: int = 200, error: str | None = None,
                  username: str = "") -> HTMLResponse:  # fmt: skip
    binding = request.cookies.get(PRE_SESSION) or secrets.token_urlsafe(24)
    response = render(request, "sign_in.html", locale_of(request), status, error=error, username=username,
                       csrf=csrf_token(_secret(kit), binding))  # fmt: skip
    response.set_cookie(PRE_SESSION, binding, max_age=3_600, path="/console", httponly=True,
                        secure=deps.settings.secure_cookies, samesite="strict")  # fmt: skip
    return response


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, kit: KitDep, deps: DepsDep) -> Response:
    if await resume(deps, request.cookies.get(COOKIE), datetime.now(UTC)) is not None:
        return RedirectResponse("/console/", status_code=303)
    return _sign_in_page(request, kit, deps)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in_form(
    request: Request,
    kit: KitDep,
    deps: DepsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    locale = locale_of(request)
    if not csrf_valid(_secret(kit), request.cookies.get(PRE_SESSION), csrf):
        return _sign_in_page(request, kit, deps, 403, translate(locale, "sign_in.expired"), username)
    try:
        session = await sign_in(deps, username.strip().lower(), password, datetime.now(UTC))
    except SignInRefused as refused:
        if refused.locked_until is not None:
            minutes = int((refused.locked_until - datetime.now(UTC)).total_seconds() // 60) + 1
            return _sign_in_page(
                request, kit, deps, 423, translate(locale, "sign_in.locked", minutes=minutes), username
            )
        return _sign_in_page(request, kit, deps, 401, translate(locale, "sign_in.wrong"), username)
    response = RedirectResponse("/console/", status_code=303)
    set_session_cookie(response, session, deps)
    response.delete_cookie(PRE_SESSION, path="/console")
    return response


@router.get("/", response_class=HTMLResponse)
async def home(visit: SignedIn) -> Response:
    return visit.page("home.html", session_ends=visit.session.expires_at, csrf=visit.csrf)


@router.post("/sign-out")
async def sign_out(request: Request, kit: KitDep, deps: DepsDep,
                   csrf: Annotated[str, Form(max_length=128)] = "") -> Response:  # fmt: skip
    token = request.cookies.get(COOKIE)
    if not csrf_valid(_secret(kit), token, csrf):
        locale = locale_of(request)
        return render(request, "refused.html", locale, 403, message=translate(locale, "error.csrf"))
    assert token is not None
    await resume(deps, token, datetime.now(UTC))  # names who signs out in the audit record
    await deps.sessions.end(token, datetime.now(UTC))
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, secure=deps.settings.secure_cookies, samesite="strict")
    return response
