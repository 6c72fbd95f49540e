"""A site's standing maintenance agreement: the recurring windows its hospital agreed in advance and the release
kinds it pre-approved, set from the signed contract by a supervisor or by the hospital itself with its key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter

from pacs_contracts.api import CampaignState, MaintenanceAgreement, MaintenanceAgreementPublic
from pacs_contracts.common import Identifier, Role
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, StaffOrSite
from pacs_kit.documents import model_of
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found
from pacs_kit.uow import Tx
from pacs_scheduler.deps import DepsDep
from pacs_scheduler.domain import agreements
from pacs_scheduler.usecases import campaigns as usecases

router = APIRouter(prefix="/api/v1/sites", tags=["maintenance agreements"])
Party = Annotated[Principal, require(Role.his, Role.supervisor, Role.admin)]
PATH = "/{site_id}/maintenance-agreement"


def public(agreement: Document) -> MaintenanceAgreementPublic:
    upcoming = agreements.next_window(agreement, datetime.now(UTC), agreements.SHORTEST)
    return model_of(MaintenanceAgreementPublic, agreement, id_as="site_id",
                    next_window_starts_at=upcoming[0] if upcoming else None)  # fmt: skip


@router.get(PATH, response_model=MaintenanceAgreementPublic, summary="A site's standing maintenance agreement")
async def get_agreement(site_id: Identifier, principal: StaffOrSite, deps: DepsDep) -> MaintenanceAgreementPublic:
    agreement = await deps.agreements.get(site_id) if principal.may_see_site(site_id) else None  # another's: 404
    return public(found(agreement, f"site {site_id!r} has no standing maintenance agreement"))


@router.put(PATH, response_model=MaintenanceAgreementPublic, summary="Set a site's standing windows and consent")
async def put_agreement(site_id: Identifier, body: MaintenanceAgreement, principal: Party, deps: DepsDep,
                        kit: KitDep) -> MaintenanceAgreementPublic:  # fmt: skip
    """Campaigns of a pre-approved kind already waiting for this site's window take its next standing window."""
    principal.act_for_site(site_id)
    agreement: dict[str, Any] = {"_id": site_id, **body.model_dump(mode="python"), "agreed_by": principal.subject,
                                 "agreed_at": datetime.now(UTC)}  # fmt: skip

    async def work(tx: Tx) -> None:
        await deps.agreements.put(agreement, tx.session)
        for row in await deps.campaign_sites.waiting_at(site_id, tx.session):
            campaign = await deps.campaigns.get(row["campaign_id"], tx.session)
            if campaign is not None and campaign["state"] == CampaignState.active.value:  # asked once already
                await usecases.notified(tx, deps, campaign, [row], agreement["agreed_at"],
                                        standing={site_id: agreement}, ask=False)  # fmt: skip

    await kit.uow.run(work)
    return public(agreement)


@router.delete(PATH, status_code=204, summary="Withdraw a site's standing consent and windows")
async def withdraw(site_id: Identifier, principal: Party, deps: DepsDep, kit: KitDep) -> None:
    """Windows already taken from it stay planned; nothing new is scheduled without the hospital's agreement."""
    principal.act_for_site(site_id)

    async def work(tx: Tx) -> bool:
        return await deps.agreements.remove(site_id, tx.session)

    if not await kit.uow.run(work):
        raise Problem(404, "Not found", f"site {site_id!r} has no standing maintenance agreement", slug="not-found")
