"""Engineers of every tier; registering one announces it to notify."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pymongo.errors import DuplicateKeyError

from pacs_contracts.api import EngineerCreate, EngineerPublic, Page
from pacs_contracts.common import Identifier
from pacs_contracts.events import EngineerRegistered
from pacs_escalation.deps import DepsDep
from pacs_kit.deps import Admin, KitDep, Offset, Staff
from pacs_kit.documents import model_of
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem
from pacs_kit.uow import Tx

router = APIRouter(prefix="/api/v1/engineers", tags=["engineers"])


def _public(doc: Document) -> EngineerPublic:
    return model_of(EngineerPublic, doc, id_as="engineer_id")


@router.post("", status_code=201, response_model=EngineerPublic, summary="Register an engineer")
async def register_engineer(
    body: EngineerCreate, _: Admin, deps: DepsDep, kit: KitDep, response: Response
) -> EngineerPublic:
    doc = {"_id": body.engineer_id, **body.model_dump(exclude={"engineer_id"}, mode="json")}
    doc["created_at"] = datetime.now(UTC)

    async def save(tx: Tx) -> None:
        await deps.engineers.add(doc, tx.session)
        await tx.emit(
            EngineerRegistered(
                engineer_id=body.engineer_id,
                name=body.name,
                region=body.region,
                tier=body.tier,
                roles=tuple(role.value for role in body.roles),
                locale=body.locale,
            ),
            correlation_id=body.engineer_id,
        )

    try:
        await kit.uow.run(save)
    except DuplicateKeyError:
        raise Problem(
            409, "Already exists", f"engineer {body.engineer_id!r} is already registered", slug="conflict"
        ) from None
    response.headers["Location"] = f"/api/v1/engineers/{body.engineer_id}"
    return _public(doc)


@router.delete(
    "/{engineer_id}", status_code=204, summary="Retire an engineer: no roster, site or ladder step names them again"
)
async def retire_engineer(engineer_id: Identifier, _: Admin, deps: DepsDep, kit: KitDep) -> Response:
    """The record stays (incidents and the escalation database name them); the ladder passes them over from now
    on, and incidents they own keep them until a supervisor reassigns them."""
    retired = await kit.uow.run(lambda tx: deps.engineers.retire(engineer_id, datetime.now(UTC), tx.session))
    if not retired:
        raise Problem(404, "Not found", f"no registered engineer {engineer_id!r}", slug="not-found")
    return Response(status_code=204)


@router.get("", response_model=Page[EngineerPublic], summary="List engineers")
async def list_engineers(
    _: Staff,
    deps: DepsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[EngineerPublic]:
    items, total = await deps.engineers.list(limit, offset)
    return Page[EngineerPublic](items=[_public(d) for d in items], total=total)
