"""What every signed-in page starts from: the live session, the user's language, a short-lived platform token and
the token of the forms it renders. A request without a live session goes to the sign-in page (a fragment or the
event stream, read by a script, gets a plain 401 instead)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pacs_console.adapters.platform import PlatformError
from pacs_console.adapters.web import csrf_token, csrf_valid, templates
from pacs_console.deps import ConsoleDeps, DepsDep
from pacs_console.domain.i18n import choose, local_time, span_of, translate
from pacs_console.routes.auth import COOKIE
from pacs_console.usecases.sign_in import Session, access_token, resume
from pacs_kit.auth import TokenIssuer
from pacs_kit.deps import KitDep
from pacs_kit.mongo import Document

LANG = "pso_lang"
PLATFORM_TOKEN_TTL = timedelta(minutes=2)  # one page's calls to the other services
_TEMPLATES = templates()


def locale_of(request: Request, profile: str | None = None) -> str:
    return choose(request.query_params.get("lang"), request.cookies.get(LANG), profile,
                  request.headers.get("accept-language", ""))  # fmt: skip


def render(request: Request, name: str, locale: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(name).render(
        t=lambda key, **values: translate(locale, key, **values),
        locale=locale,
        path=request.url.path,
        span=lambda iso: span_of(locale, iso),
        when=local_time,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") == locale:
        response.set_cookie(LANG, locale, max_age=365 * 86_400, path="/console", samesite="strict")
    return response


class SignInNeeded(Exception):
    """No live session: a page is sent to sign in, a script's request answered 401."""

    def __init__(self, page: bool) -> None:
        super().__init__("sign in first")
        self.page = page


def answer_sign_in_needed(_: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInNeeded) and exc.page:
        return RedirectResponse("/console/sign-in", status_code=303)
    return Response(status_code=401)


def answer_platform_error(request: Request, exc: Exception) -> Response:
    """A page whose reading through the platform failed says so, in the reader's language, instead of a bare 500."""
    status = exc.status if isinstance(exc, PlatformError) and exc.status < 500 else 502
    detail = exc.detail if isinstance(exc, PlatformError) else str(exc)
    locale = locale_of(request)
    return render(request, "refused.html", locale, status, message=translate(locale, "incident.refused", detail=detail))


@dataclass(frozen=True)
class Visit:
    """One signed-in request."""

    request: Request
    session: Session
    locale: str
    deps: ConsoleDeps
    tokens: TokenIssuer

    @property
    def account(self) -> Document:
        return self.session.account

    def has_role(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.account["roles"]))

    def token(self) -> str:
        """The platform's JWT for this user, for the calls this page makes to the other services."""
        return access_token(self.tokens, self.account, PLATFORM_TOKEN_TTL)

    @property
    def csrf(self) -> str:
        return csrf_token(self.tokens.secret, self.session.token)

    def csrf_valid(self, presented: str) -> bool:
        return csrf_valid(self.tokens.secret, self.session.token, presented)

    def refusal(self, csrf: str, admin: bool = False) -> HTMLResponse | None:
        """The answer to a form that may not change anything: without this session's token, or (`admin`) sent by
        someone who is not an administrator; None when it may go ahead."""
        if not self.csrf_valid(csrf):
            return self.refuse(403, "error.csrf")
        if admin and not self.has_role("admin"):
            return self.refuse(403, "error.admin_only")
        return None

    async def form(self, *lists: str) -> dict[str, Any]:
        """The posted form's fields; those named in `lists` (checkboxes of one name) as lists."""
        raw = await self.request.form()
        return {k: raw.get(k) for k in raw.keys()} | {name: raw.getlist(name) for name in lists}  # noqa: SIM118

    @property
    def time_zone(self) -> str:
        """The user's own zone, for times not tied to a hospital."""
        zone: str = self.account.get("time_zone") or "Asia/Shanghai"
        return zone

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, name, self.locale, status, account=self.account, my_zone=self.time_zone,
                      **context)  # fmt: skip

    def refuse(self, status: int, key: str, **values: Any) -> HTMLResponse:
        return self.page("refused.html", status, message=translate(self.locale, key, **values))

    def say(self, key: str, **values: Any) -> str:
        return translate(self.locale, key, **values)


async def _visit(request: Request, kit: KitDep, deps: DepsDep, page: bool) -> Visit:
    session = await resume(deps, request.cookies.get(COOKIE), datetime.now(UTC))
    if session is None:
        raise SignInNeeded(page)
    return Visit(request, session, locale_of(request, session.account.get("locale")), deps, kit.auth.tokens)


async def page_visit(request: Request, kit: KitDep, deps: DepsDep) -> Visit:
    return await _visit(request, kit, deps, page=True)


async def script_visit(request: Request, kit: KitDep, deps: DepsDep) -> Visit:
    return await _visit(request, kit, deps, page=False)


SignedIn = Annotated[Visit, Depends(page_visit)]
SignedInScript = Annotated[Visit, Depends(script_visit)]  # fragments and the event stream
