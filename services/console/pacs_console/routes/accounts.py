"""Staff accounts, kept by admins: roles, the engineer record an engineer acts as, lockouts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from pacs_console.deps import DepsDep
from pacs_console.usecases import accounts as usecases
from pacs_contracts.accounts import AccountCreate, AccountPublic, AccountUpdate, UserName
from pacs_contracts.api import Page
from pacs_kit.deps import Admin
from pacs_kit.mongo import Document
from pacs_kit.problems import found

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])


def public(doc: Document) -> AccountPublic:
    return AccountPublic(username=doc["_id"], display_name=doc["display_name"], roles=doc["roles"],
                         engineer_id=doc.get("engineer_id"), regions=doc.get("regions") or [], locale=doc["locale"],
                         time_zone=doc.get("time_zone") or "Asia/Shanghai",
                         disabled=bool(doc.get("disabled")), locked_until=doc.get("locked_until"),
                         created_at=doc["created_at"])  # fmt: skip


@router.post("", status_code=201, response_model=AccountPublic, summary="Create a staff account")
async def create_account(body: AccountCreate, _: Admin, deps: DepsDep, response: Response) -> AccountPublic:
    doc = await usecases.create_account(deps, body, datetime.now(UTC))
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
    return public(await usecases.change_account(deps, username, body, datetime.now(UTC)))
