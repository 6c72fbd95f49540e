"""Calls taken on the free 800 line: each logged call raises a fault."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter

from pacs_contracts.api import CallCreate, CallPublic
from pacs_contracts.common import Role
from pacs_intake.deps import DepsDep
from pacs_intake.domain import fault as faults
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep
from pacs_kit.problems import Problem
from pacs_kit.uow import Tx

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])
CallAgent = Annotated[Principal, require(Role.call_agent, Role.supervisor, Role.admin)]


@router.post("", status_code=201, response_model=CallPublic, summary="Log a call and raise its fault")
async def log_call(body: CallCreate, principal: CallAgent, deps: DepsDep, kit: KitDep) -> CallPublic:
    if not await deps.sites.exists(body.site_id):
        raise Problem(422, "Unknown site", f"no site {body.site_id!r} is registered", slug="unknown-site")
    now = datetime.now(UTC)
    call_id = faults.new_id("C")
    fault = faults.from_call(body, call_id, now)
    call = {
        "_id": call_id,
        "site_id": body.site_id,
        "fault_id": fault["_id"],
        "caller_role": body.caller_role,
        "callback_phone": body.callback_phone,
        "logged_by": principal.subject,
        "received_at": now,
    }

    async def save(tx: Tx) -> None:
        deps.calls.add_on_commit(tx, call)
        deps.faults.add_on_commit(tx, fault)
        await tx.emit(faults.reported_event(fault))

    await kit.uow.grouped(save, correlation_id=fault["_id"])
    return CallPublic(
        call_id=call_id, fault_id=fault["_id"], site_id=body.site_id, logged_by=principal.subject, received_at=now
    )
