"""Creating and changing staff accounts, one set of rules for the API and for pacs-admin's account commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pacs_console.adapters.passwords import Passwords
from pacs_console.adapters.repository import Accounts, Sessions
from pacs_contracts.accounts import AccountCreate, AccountUpdate
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found


class Staff(Protocol):
    """Where accounts are kept, how passwords are hashed and whose sessions end: the console's deps, or the CLI's."""

    @property
    def accounts(self) -> Accounts: ...

    @property
    def sessions(self) -> Sessions: ...

    @property
    def passwords(self) -> Passwords: ...


def _check_roles(roles: list[str], engineer_id: str | None) -> None:
    if "engineer" in roles and engineer_id is None:
        raise Problem(422, "Invalid request", "an engineer's account names its engineer record (engineer_id)",
                      slug="invalid-request")  # fmt: skip


async def create_account(staff: Staff, body: AccountCreate, now: datetime) -> Document:
    """The new account as stored (its password only as an Argon2id hash); 409 when the user name is taken."""
    _check_roles(list(body.roles), body.engineer_id)
    doc = {"_id": body.username, **body.model_dump(exclude={"username", "password"}),
           "password_hash": await staff.passwords.hash(body.password), "disabled": False, "failures": [],
           "locked_until": None, "created_at": now}  # fmt: skip
    if not await staff.accounts.add(doc):
        raise Problem(409, "Already exists", f"the user name {body.username!r} is taken", slug="conflict")
    return doc


async def change_account(staff: Staff, username: str, body: AccountUpdate, now: datetime) -> Document:
    """The account once changed; a new password or disabling ends every one of its sessions."""
    current = found(await staff.accounts.get(username), f"no account {username!r}")
    fields: dict[str, Any] = body.model_dump(exclude_none=True, exclude={"password", "unlock"})
    _check_roles(fields.get("roles", current["roles"]), current.get("engineer_id"))
    if body.password is not None:
        fields["password_hash"] = await staff.passwords.hash(body.password)
    if body.unlock:
        fields |= {"failures": [], "locked_until": None}
    updated = await staff.accounts.update(username, fields) if fields else current
    if body.disabled or body.password is not None:
        await staff.sessions.end_all(username, now)
    return found(updated, f"no account {username!r}")
