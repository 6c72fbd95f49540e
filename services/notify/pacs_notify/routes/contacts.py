"""How an engineer is reached: `GET/PUT /api/v1/engineers/{id}/contacts` (the engineer, or an admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from pacs_contracts.api import Contacts
from pacs_contracts.common import Identifier, Role
from pacs_kit.auth import Principal, require
from pacs_kit.documents import model_of
from pacs_kit.problems import Problem, found
from pacs_notify.deps import DepsDep

router = APIRouter(prefix="/api/v1/engineers", tags=["contacts"])


# numbers and push tokens are personal: the engineer's own, and admins', to read and to set
Owner = Annotated[Principal, require(Role.engineer, Role.admin)]


def _may_edit(principal: Principal, engineer_id: str) -> None:
    if principal.subject != engineer_id and not principal.has_any(frozenset({Role.admin})):
        raise Problem(403, "Forbidden", "only the engineer or an admin reads or sets these contacts",
                      slug="forbidden")  # fmt: skip


@router.get("/{engineer_id}/contacts", response_model=Contacts, summary="How an engineer is reached")
async def get_contacts(engineer_id: Identifier, principal: Owner, deps: DepsDep) -> Contacts:
    _may_edit(principal, engineer_id)
    found(await deps.engineers.get(engineer_id), f"no engineer {engineer_id!r} known to notify")
    stored = await deps.contacts.get(engineer_id)
    return model_of(Contacts, stored) if stored else Contacts()


@router.put("/{engineer_id}/contacts", response_model=Contacts, summary="Set push targets, numbers and rules")
async def put_contacts(engineer_id: Identifier, body: Contacts, principal: Owner, deps: DepsDep) -> Contacts:
    """Rules apply to messages raised from now on; a rule for a channel without an address uses the log."""
    _may_edit(principal, engineer_id)
    found(await deps.engineers.get(engineer_id), f"no engineer {engineer_id!r} known to notify")
    await deps.contacts.put(engineer_id, body.model_dump(mode="json"))
    return body
