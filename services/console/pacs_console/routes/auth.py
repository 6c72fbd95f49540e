"""OAuth 2.0's password grant for the platform's tokens, renewal from the session cookie, and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse

from pacs_console.deps import ConsoleDeps, DepsDep
from pacs_console.usecases.sign_in import Session, SignInRefused, access_token, resume, sign_in
from pacs_contracts.accounts import TokenIssued
from pacs_kit.deps import KitDep
from pacs_kit.problems import problem_response

router = APIRouter(prefix="/api/v1/auth", tags=["sign-in"])
COOKIE = "pso_session"


def set_session_cookie(response: Response, session: Session, deps: ConsoleDeps) -> None:
    """HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure outside development."""
    response.set_cookie(COOKIE, session.token, max_age=int((session.expires_at - datetime.now(UTC)).total_seconds()),
                        path="/", httponly=True, secure=deps.settings.secure_cookies, samesite="strict")  # fmt: skip


def refused(request: Request, error: SignInRefused) -> JSONResponse:
    if error.locked_until is not None:
        wait = max(1, int((error.locked_until - datetime.now(UTC)).total_seconds()))
        detail = f"{error}; try again in {wait // 60 + 1} minutes"
        response = problem_response(423, "Account locked", detail, slug="account-locked", instance=request.url.path,
                                    error="invalid_grant")  # fmt: skip
        response.headers["Retry-After"] = str(wait)
        return response
    return problem_response(401, "Unauthorized", str(error), slug="unauthorized", instance=request.url.path,
                            error="invalid_grant")  # fmt: skip


def issued(session: Session, deps: ConsoleDeps, kit: KitDep) -> TokenIssued:
    ttl = timedelta(minutes=deps.settings.access_token_minutes)
    return TokenIssued(access_token=access_token(kit.auth.tokens, session.account, ttl),
                       expires_in=int(ttl.total_seconds()))  # fmt: skip


@router.post("/token", response_model=TokenIssued, summary="Sign in: a user name and password for a token")
async def token(
    request: Request,
    response: Response,
    deps: DepsDep,
    kit: KitDep,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    grant_type: Annotated[str, Form(pattern="^password$")] = "password",
) -> TokenIssued | JSONResponse:
    """The form of RFC 6749 §4.3. Five wrong passwords within 15 minutes lock the account for 15 minutes (423)."""
    try:
        session = await sign_in(deps, username.strip().lower(), password, datetime.now(UTC))
    except SignInRefused as error:
        return refused(request, error)
    set_session_cookie(response, session, deps)
    return issued(session, deps, kit)


@router.post("/refresh", response_model=TokenIssued, summary="A new token from the session cookie")
async def refresh(request: Request, deps: DepsDep, kit: KitDep) -> TokenIssued | JSONResponse:
    session = await resume(deps, request.cookies.get(COOKIE), datetime.now(UTC))
    if session is None:
        return problem_response(401, "Unauthorized", "no live session: sign in again", slug="unauthorized",
                                instance=request.url.path)  # fmt: skip
    return issued(session, deps, kit)


@router.post("/sign-out", status_code=204, summary="End the session of the cookie")
async def sign_out(request: Request, deps: DepsDep) -> Response:
    if token := request.cookies.get(COOKIE):
        await resume(deps, token, datetime.now(UTC))  # names who signs out in the audit record
        await deps.sessions.end(token, datetime.now(UTC))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, secure=deps.settings.secure_cookies, samesite="strict")
    return response
