"""Each service's audit trail, for admins: `GET /api/v1/audit/<service>` and its chain's verification."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pacs_contracts.api import AuditRecordPublic, AuditVerification
from pacs_contracts.common import Identifier
from pacs_kit.audit import verify
from pacs_kit.deps import Admin, KitDep


def audit_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/audit/{service}", tags=["audit"])

    @router.get("", response_model=list[AuditRecordPublic], summary="Audited requests, newest first, filtered")
    async def records(
        _: Admin, kit: KitDep,
        actor: Annotated[str | None, Query(max_length=200, description="the caller's subject")] = None,
        object_id: Annotated[Identifier | None, Query(description="any path parameter's value")] = None,
        action: Annotated[str | None, Query(max_length=200, description="e.g. POST /api/v1/engineers")] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[AuditRecordPublic]:  # fmt: skip
        filters: dict[str, Any] = {}
        if actor:
            filters["actor.subject"] = actor
        if action:
            filters["action"] = action
        if object_id:
            filters["object_ids"] = object_id
        found = await kit.audit.search(filters, limit, since, until)
        fields = AuditRecordPublic.model_fields
        return [AuditRecordPublic.model_validate({"id": r["_id"]} | {k: v for k, v in r.items() if k in fields}
                                                 | {"request": _parsed(r.get("request"))})
                for r in found]  # fmt: skip

    @router.get("/verification", response_model=AuditVerification, summary="Check the chain from oldest to head")
    async def verification(_: Admin, kit: KitDep) -> AuditVerification:
        result = await verify(kit.audit)
        return AuditVerification(intact=result.intact, **vars(result))

    return router


def _parsed(request: Any) -> Any:
    """A kept body: JSON text (as recorded now), or a document (as recorded before)."""
    return json.loads(request) if isinstance(request, str) else request
