"""Staff accounts, kept by admins: roles, the engineer record an engineer acts as, lockouts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from pacs_console.deps import ConsoleDeps, DepsDep
from pacs_contracts.accounts import AccountCreate, AccountPublic, AccountUpdate, UserName
from pacs_contracts.api import Page
from pacs_kit.deps import Admin
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])


def public(doc: Document) -> AccountPublic:
    return AccountPublic(username=doc["_id"], display_name=doc["display_name"], roles=doc["roles"],
                         engineer_id=doc.get("engineer_id"), regions=doc.get("regions") or [], locale=doc["locale"],
                         time_zone=doc.get("time_zone") or "Asia/Shanghai",
                         disabled=bool(doc.get("disabled")), locked_until=doc.get("locked_until"),
                         created_at=doc["created_at"])  # fmt: skip


def _check_roles(roles: list[str], engineer_id: str | None) -> None:
    if "engineer" in roles and engineer_id is None:
        raise Problem(422, "Invalid request", "an engineer's account names its engineer record (engineer_id)",
                      slug="invalid-request")  # fmt: skip


async def new_account(body: AccountCreate, deps: ConsoleDeps) -> Document:
    _check_roles(list(body.roles), body.engineer_id)
    return {"_id": body.username, **body.model_dump(exclude={"username", "password"}),
            "password_hash": await deps.passwords.hash(body.password), "disabled": False, "failures": [],
            "locked_until": None, "created_at": datetime.now(UTC)}  # fmt: skip


@router.post("", status_code=201, response_model=AccountPublic, summary="Create a staff account")
async def create_account(body: AccountCreate, _: Admin, deps: DepsDep, response: Response) -> AccountPublic:
    doc = await new_account(body, deps)
    if not await deps.accounts.add(doc):
        raise Problem(409, "Already exists", f"the user name {body.username!r} is taken", slug="conflict")
    response.headers["Location"] = f"/api/v1/accounts/{body.username}"
    return public(doc)


@router.get("", response_model=Page[AccountPublic], summary="Staff accounts, by user name")
async def list_accounts(
    _: Admin,
    deps: DepsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[UserName | None, Query(description="the last user name of the previous page")] = None,
) -> Page[AccountPublic]:
    docs = await deps.accounts.page(after, limit + 1)
    more = len(docs) > limit
    items = [public(d) for d in docs[:limit]]
    return Page[AccountPublic](items=items, next=f"/api/v1/accounts?limit={limit}&after={items[-1].username}"
                               if more else None)  # fmt: skip


@router.get("/{username}", response_model=AccountPublic, summary="One staff account")
async def get_account(username: UserName, _: Admin, deps: DepsDep) -> AccountPublic:
    doc = found(await deps.accounts.get(username), f"no account {username!r}")
    return public(doc)


@router.patch("/{username}", response_model=AccountPublic, summary="Change roles, password or state; unlock")
async def update_account(username: UserName, body: AccountUpdate, _: Admin, deps: DepsDep) -> AccountPublic:
    current = found(await deps.accounts.get(username), f"no account {username!r}")
    fields: dict[str, Any] = body.model_dump(exclude_none=True, exclude={"password", "unlock"})
    _check_roles(fields.get("roles", current["roles"]), current.get("engineer_id"))
    if body.password is not None:
        fields["password_hash"] = await deps.passwords.hash(body.password)
    if body.unlock:
        fields |= {"failures": [], "locked_until": None}
    now = datetime.now(UTC)
    updated = await deps.accounts.update(username, fields) if fields else current
    if body.disabled or body.password is not None:  # a disabled account or a new password ends every session
        await deps.sessions.end_all(username, now)
    assert updated is not None
    return public(updated)
