"""The console's pages: sign-in, the signed-in home, sign-out. Forms carry a CSRF token; the session cookie is
HttpOnly and SameSite=Strict."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.web import csrf_token, csrf_valid, templates
from pacs_console.deps import ConsoleDeps, DepsDep
from pacs_console.domain.i18n import choose, translate
from pacs_console.routes.auth import COOKIE, set_session_cookie
from pacs_console.usecases.sign_in import Session, SignInRefused, resume, sign_in
from pacs_kit.deps import KitDep

router = APIRouter(prefix="/console", include_in_schema=False)
PRE_SESSION = "pso_presession"  # binds the sign-in form's CSRF token before there is a session
LANG = "pso_lang"
_TEMPLATES = templates()


def _secret(kit: KitDep) -> str:
    return kit.auth.tokens.secret


def locale_of(request: Request, profile: str | None = None) -> str:
    return choose(request.query_params.get("lang"), request.cookies.get(LANG), profile,
                  request.headers.get("accept-language", ""))  # fmt: skip


def render(request: Request, name: str, locale: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(name).render(
        t=lambda key, **values: translate(locale, key, **values), locale=locale, path=request.url.path, **context
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") == locale:
        response.set_cookie(LANG, locale, max_age=365 * 86_400, path="/console", samesite="strict")
    return response


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


async def session_of(request: Request, deps: ConsoleDeps) -> Session | None:
    return await resume(deps, request.cookies.get(COOKIE), datetime.now(UTC))


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, kit: KitDep, deps: DepsDep) -> Response:
    session = await session_of(request, deps)
    if session is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    account = session.account
    return render(request, "home.html", locale_of(request, account.get("locale")), account=account,
                   session_ends=session.expires_at, csrf=csrf_token(_secret(kit), session.token))  # fmt: skip


@router.post("/sign-out")
async def sign_out(request: Request, kit: KitDep, deps: DepsDep,
                   csrf: Annotated[str, Form(max_length=128)] = "") -> Response:  # fmt: skip
    token = request.cookies.get(COOKIE)
    if not csrf_valid(_secret(kit), token, csrf):
        locale = locale_of(request)
        return render(request, "refused.html", locale, 403, message=translate(locale, "error.csrf"))
    assert token is not None
    await deps.sessions.end(token, datetime.now(UTC))
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, secure=deps.settings.secure_cookies, samesite="strict")
    return response
