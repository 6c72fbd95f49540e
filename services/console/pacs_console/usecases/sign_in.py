"""Signing in and staying signed in, shared by the token API and the sign-in page."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pacs_console.deps import ConsoleDeps
from pacs_console.domain.accounts import after_failure, locked, subject_of
from pacs_kit import audit
from pacs_kit.auth import TokenIssuer
from pacs_kit.mongo import Document


class SignInRefused(Exception):
    """Wrong user name or password, a disabled account, or one locked until `locked_until`."""

    def __init__(self, detail: str, locked_until: datetime | None = None) -> None:
        super().__init__(detail)
        self.locked_until = locked_until


@dataclass(frozen=True)
class Session:
    account: Document
    token: str  # the cookie's value; only its digest is stored
    expires_at: datetime


def access_token(tokens: TokenIssuer, account: Document, ttl: timedelta) -> str:
    """The platform's own JWT, so every service checks the roles as it always has, and audits the user name too."""
    subject = subject_of(account["_id"], account.get("engineer_id"))
    return tokens.mint(subject, list(account["roles"]), ttl, list(account.get("regions") or []), account["_id"])


def _audited_as(account: Document) -> None:
    """The console's own record of this request names the account, as a token's record names its subject."""
    audit.name_actor(subject_of(account["_id"], account.get("engineer_id")), account["roles"],
                     username=account["_id"])  # fmt: skip


async def sign_in(deps: ConsoleDeps, username: str, password: str, now: datetime) -> Session:
    account = await deps.accounts.get(username)
    if account is not None and locked(account.get("locked_until"), now):
        raise SignInRefused("too many failed sign-ins: the account is locked", account["locked_until"])
    right = await deps.passwords.verify(account["password_hash"] if account else None, password)
    if account is None or not right or account.get("disabled"):
        if account is not None and not right:
            lockout = after_failure(account.get("failures") or [], now)
            await deps.accounts.record_failure(account["_id"], list(lockout.failures), lockout.locked_until)
            if lockout.locked_until is not None:
                raise SignInRefused("too many failed sign-ins: the account is locked", lockout.locked_until)
        raise SignInRefused("the user name or password is wrong, or the account is disabled")
    await deps.accounts.record_success(account["_id"], now)
    _audited_as(account)
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=deps.settings.session_hours)
    await deps.sessions.add(token, account["_id"], now, expires_at)
    return Session(account, token, expires_at)


async def resume(deps: ConsoleDeps, token: str | None, now: datetime) -> Session | None:
    """The live session a cookie names, with its account, or None (ended, expired, account disabled); the request's
    audit record names that account."""
    if not token:
        return None
    session = await deps.sessions.live(token, now)
    if session is None:
        return None
    account = await deps.accounts.get(session["username"])
    if account is None or account.get("disabled"):
        return None
    _audited_as(account)
    return Session(account, token, session["expires_at"])
