"""Administrators' pages of staff accounts: the list and one account, read from the console's own collection; every
change goes through the console's own API as the signed-in admin, so it is checked and audited as any client's."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Form, Path
from fastapi.responses import HTMLResponse, Response

from pacs_console.adapters.platform import PlatformError
from pacs_console.domain.accounts import state_of
from pacs_console.routes.signed_in import SignedIn, Visit
from pacs_contracts.accounts import StaffRole

router = APIRouter(prefix="/console/admin/accounts", include_in_schema=False)
ROLES = get_args(StaffRole)
GENERATED_BYTES = 18  # 24 URL-safe characters
MIN_PASSWORD = 12
UserPath = Annotated[str, Path(min_length=2, max_length=64)]
CsrfForm = Annotated[str, Form(max_length=128)]
ACTIONS: dict[str, tuple[dict[str, bool], str]] = {  # a button on the account page → the change, and what it says
    "unlock": ({"unlock": True}, "accounts.unlocked"),
    "disable": ({"disabled": True}, "accounts.disabled_done"),
    "enable": ({"disabled": False}, "accounts.enabled_done"),
}


class Unfit(Exception):
    """A form the page refuses before asking the API: the catalogue key that says why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _password(form: dict[str, Any]) -> tuple[str, bool]:
    """The new password, typed twice or generated, and whether it was generated (and so is shown once)."""
    if form.get("generate"):
        return secrets.token_urlsafe(GENERATED_BYTES), True
    password = str(form.get("password") or "")
    if password != form.get("password_again"):
        raise Unfit("accounts.differ")
    if len(password) < MIN_PASSWORD:
        raise Unfit("accounts.too_short")
    return password, False


def _profile(form: dict[str, Any], engineer_id: str | None) -> dict[str, Any]:
    """Roles, regions, language, name and zone as the API takes them."""
    if not form["roles"]:
        raise Unfit("accounts.no_role")
    if "engineer" in form["roles"] and not engineer_id:
        raise Unfit("accounts.needs_engineer")
    regions = [r for r in re.split(r"[\s,，]+", str(form.get("regions") or "")) if r]
    return {"roles": form["roles"], "regions": regions, "locale": form.get("locale") or "zh-CN",
            "display_name": str(form.get("display_name") or "").strip(),
            "time_zone": str(form.get("time_zone") or "").strip() or "Asia/Shanghai"}  # fmt: skip


def _said(visit: Visit, failure: PlatformError, username: str) -> tuple[int, str]:
    """The API's refusal as a sentence in the admin's language, and the status the page answers with."""
    if failure.status == 409:
        return 409, visit.say("accounts.taken", name=username)
    if failure.status == 404:
        return 404, visit.say("accounts.missing", name=username)
    if failure.status == 422:
        return 422, visit.say("accounts.invalid", detail=failure.detail)
    return (failure.status if failure.status < 500 else 502), visit.say("incident.refused", detail=failure.detail)


async def _list(visit: Visit, status: int = 200, **context: Any) -> Response:
    listed = await visit.deps.platform.get("/api/v1/engineers", visit.token(), {"limit": 200})
    now = datetime.now(UTC)
    accounts = [a | {"state": state_of(bool(a.get("disabled")), a.get("locked_until"), now)}
                for a in await visit.deps.accounts.page(None, 200)]  # fmt: skip
    engineers = [e for e in listed["items"] if not e.get("retired_at")]
    return visit.page("accounts.html", status, accounts=accounts, roles=ROLES, csrf=visit.csrf, engineers=engineers,
                      **{"form": {}} | context)  # fmt: skip


async def _one(visit: Visit, username: str, status: int = 200, **context: Any) -> Response:
    found = await visit.deps.accounts.get(username)
    if found is None:
        return visit.refuse(404, "accounts.missing", name=username)
    state = state_of(bool(found.get("disabled")), found.get("locked_until"), datetime.now(UTC))
    return visit.page("account.html", status, who=found, state=state, roles=ROLES, csrf=visit.csrf,
                      me=found["_id"] == visit.account["_id"], **context)  # fmt: skip


@router.get("", response_class=HTMLResponse)
async def accounts_page(visit: SignedIn) -> Response:
    if not visit.has_role("admin"):
        return visit.refuse(403, "error.admin_only")
    return await _list(visit)


@router.post("", response_class=HTMLResponse)
async def create_account(visit: SignedIn) -> Response:
    """The new account; a generated password is on the page that answers, once (it is kept only as a hash)."""
    form = await visit.form("roles")
    if refused := visit.refusal(str(form.get("csrf") or ""), admin=True):
        return refused
    username = str(form.get("username") or "").strip().lower()
    engineer_id = str(form.get("engineer_id") or "") or None
    try:
        password, generated = _password(form)
        body = {"username": username, "password": password, "engineer_id": engineer_id,
                **_profile(form, engineer_id)}  # fmt: skip
        await visit.deps.platform.post("/api/v1/accounts", visit.token(), body)
    except Unfit as unfit:
        return await _list(visit, 422, error=visit.say(unfit.key), form=form)
    except PlatformError as failure:
        status, error = _said(visit, failure, username)
        return await _list(visit, status, error=error, form=form)
    return await _list(visit, 201, done=visit.say("accounts.created", name=username),
                       generated=password if generated else None, whom=username)  # fmt: skip


@router.get("/{username}", response_class=HTMLResponse)
async def account_page(username: UserPath, visit: SignedIn) -> Response:
    if not visit.has_role("admin"):
        return visit.refuse(403, "error.admin_only")
    return await _one(visit, username)


async def _change(visit: Visit, username: str, body: dict[str, Any], done: str, **context: Any) -> Response:
    try:
        await visit.deps.platform.patch(f"/api/v1/accounts/{username}", visit.token(), body)
    except PlatformError as failure:
        status, error = _said(visit, failure, username)
        return await _one(visit, username, status, error=error)
    return await _one(visit, username, done=visit.say(done, name=username), **context)


@router.post("/{username}", response_class=HTMLResponse)
async def save_account(username: UserPath, visit: SignedIn) -> Response:
    form = await visit.form("roles")
    if refused := visit.refusal(str(form.get("csrf") or ""), admin=True):
        return refused
    account = await visit.deps.accounts.get(username)
    try:
        body = _profile(form, account.get("engineer_id") if account else None)
    except Unfit as unfit:
        return await _one(visit, username, 422, error=visit.say(unfit.key))
    if username == visit.account["_id"] and "admin" not in body["roles"]:  # or nobody may be left to undo it
        return await _one(visit, username, 409, error=visit.say("accounts.keep_admin"))
    return await _change(visit, username, body, "accounts.saved")


@router.post("/{username}/password", response_class=HTMLResponse)
async def reset_password(username: UserPath, visit: SignedIn) -> Response:
    form = await visit.form()
    if refused := visit.refusal(str(form.get("csrf") or ""), admin=True):
        return refused
    try:
        password, generated = _password(form)
    except Unfit as unfit:
        return await _one(visit, username, 422, error=visit.say(unfit.key))
    return await _change(visit, username, {"password": password}, "accounts.password_set",
                         generated=password if generated else None)  # fmt: skip


@router.post("/{username}/{action}", response_class=HTMLResponse)
async def act_on_account(username: UserPath, action: Literal["unlock", "disable", "enable"], visit: SignedIn,
                         csrf: CsrfForm = "") -> Response:  # fmt: skip
    if refused := visit.refusal(csrf, admin=True):
        return refused
    if action == "disable" and username == visit.account["_id"]:
        return await _one(visit, username, 409, error=visit.say("accounts.not_yourself"))
    body, done = ACTIONS[action]
    return await _change(visit, username, body, done)
