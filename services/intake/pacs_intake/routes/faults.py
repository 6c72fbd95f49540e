"""HIS fault reports: idempotent by the HIS's own external_ref."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from pymongo.errors import DuplicateKeyError

from pacs_contracts.api import FaultAccepted, FaultCreate, FaultPublic
from pacs_intake.deps import DepsDep
from pacs_intake.domain import fault as faults
from pacs_kit.deps import KitDep, SiteKey, StaffOrSite
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem
from pacs_kit.uow import Tx

router = APIRouter(prefix="/api/v1/faults", tags=["faults"])


def _replay(existing: Document, body: FaultCreate, response: Response) -> FaultAccepted:
    if existing["fingerprint"] != faults.fingerprint(body):
        raise Problem(
            409,
            "Conflicting retry",
            f"external_ref {body.external_ref!r} was already used for a different fault {existing['_id']}",
            slug="conflicting-retry",
            fault_id=existing["_id"],
        )
    response.headers["Location"] = f"/api/v1/faults/{existing['_id']}"
    return FaultAccepted(fault_id=existing["_id"], status=existing["status"], duplicate=True)


@router.post("", status_code=202, response_model=FaultAccepted, summary="Report a fault (HIS)")
async def report_fault(
    body: FaultCreate, principal: SiteKey, deps: DepsDep, kit: KitDep, response: Response
) -> FaultAccepted:
    principal.act_for_site(body.site_id)
    if not await deps.sites.exists(body.site_id):
        raise Problem(422, "Unknown site", f"no site {body.site_id!r} is registered", slug="unknown-site")
    fault = faults.from_his(body, datetime.now(UTC))

    async def save(tx: Tx) -> None:
        deps.faults.add_on_commit(tx, fault)
        await tx.emit(faults.reported_event(fault))

    try:
        await kit.uow.grouped(save, correlation_id=fault["_id"])
    except DuplicateKeyError:
        # a retry: the HIS's external_ref was seen before (unique per site)
        existing = await deps.faults.by_external_ref(body.site_id, body.external_ref)
        assert existing is not None
        return _replay(existing, body, response)
    response.headers["Location"] = f"/api/v1/faults/{fault['_id']}"
    return FaultAccepted(fault_id=fault["_id"], status=fault["status"])


@router.get("/{fault_id}", response_model=FaultPublic, summary="A fault and its linked incident")
async def get_fault(fault_id: str, principal: StaffOrSite, deps: DepsDep) -> FaultPublic:
    fault = await deps.faults.get(fault_id)
    if fault is None or not principal.may_see_site(fault["site_id"]):
        raise Problem(404, "Not found", f"no fault {fault_id!r}", slug="not-found")
    return faults.public(fault)
