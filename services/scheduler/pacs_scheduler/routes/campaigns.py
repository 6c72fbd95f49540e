"""Upgrade campaigns: plan one, follow it, and the hospital's part (agree the window, its agent's checks, sign-off),
by the site's key or by the signed link sent to the site's named contact."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import jwt
from fastapi import APIRouter, Query

from pacs_contracts.api import (
    AgreementLink,
    CampaignCreate,
    CampaignPublic,
    CampaignSitePublic,
    CheckPhase,
    Page,
    ReleasePublic,
    Rollback,
    SiteChecks,
    WindowAgreement,
)  # fmt: skip
from pacs_contracts.common import Role
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, Offset, SiteKey, Staff, StaffOrSite
from pacs_kit.documents import model_of
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found
from pacs_kit.service import Kit
from pacs_kit.uow import Tx
from pacs_scheduler.deps import DepsDep, SchedulerDeps
from pacs_scheduler.domain import campaigns
from pacs_scheduler.usecases import campaigns as usecases
from pacs_scheduler.usecases import releases

router = APIRouter(prefix="/api/v1/upgrade-campaigns", tags=["upgrade campaigns"])
Planner = Annotated[Principal, require(Role.supervisor, Role.admin)]
SiteAgent = Annotated[Principal, require(Role.his, Role.admin)]
FieldEngineer = Annotated[Principal, require(Role.engineer, Role.supervisor, Role.admin)]
T = TypeVar("T")


def public(campaign: Document, rows: list[Document]) -> CampaignPublic:
    sites = [model_of(CampaignSitePublic, r) for r in rows]
    return model_of(CampaignPublic, campaign, id_as="campaign_id", sites=sites)


async def _view(deps: SchedulerDeps, campaign_id: str, principal: Principal | None = None) -> CampaignPublic:
    campaign = found(await deps.campaigns.get(campaign_id), f"no upgrade campaign {campaign_id!r}")
    rows = await deps.campaign_sites.of_campaign(campaign_id)
    if principal is not None:
        rows = [r for r in rows if principal.may_see_site(r["site_id"])]
    return public(campaign, rows)


async def _site(deps: SchedulerDeps, campaign_id: str, site_id: str) -> tuple[Document, Document]:
    campaign = found(await deps.campaigns.get(campaign_id), f"no upgrade campaign {campaign_id!r}")
    row = found(await deps.campaign_sites.get(campaign_id, site_id), f"site {site_id!r} is not in {campaign_id}")
    return campaign, row


async def _legal(call: Callable[[], Awaitable[T]]) -> T:
    """Run a move; a move the state table refuses, or one beaten by another, is a 409 that says so."""
    try:
        return await call()
    except campaigns.IllegalMove as exc:
        raise Problem(409, "Not allowed now", str(exc), slug="illegal-transition") from None


@router.post("", status_code=201, response_model=CampaignPublic, summary="Plan an upgrade campaign in waves")
async def create(body: CampaignCreate, actor: Planner, deps: DepsDep, kit: KitDep) -> CampaignPublic:
    """The first wave (the pilot) is notified at once; later waves wait for the one before to succeed and soak."""
    release = await deps.releases.get(body.release_id)
    if release is None:
        raise Problem(422, "Invalid request", f"no release {body.release_id!r} in the catalogue",
                      slug="invalid-request")  # fmt: skip
    published = model_of(ReleasePublic, release, id_as="release_id")
    now, waves = datetime.now(UTC), body.named_waves()
    if body.chooses():
        pool = await releases.selection(deps, published, body.select, now)
        try:
            waves = campaigns.choose_waves(waves, pool)
        except campaigns.NoSites as exc:
            raise Problem(422, "Invalid request", str(exc), slug="invalid-request") from None
    campaign, rows = campaigns.new_campaign(body, published, actor.subject, now, waves)

    async def add(tx: Tx) -> None:
        await deps.campaigns.add(campaign, tx.session)
        await deps.campaign_sites.add_many(rows, tx.session)
        await usecases.notified(tx, deps, campaign, [r for r in rows if r["wave"] == 0], now)

    await kit.uow.run(add)
    return public(campaign, rows)


@router.get("", response_model=Page[CampaignPublic], summary="Upgrade campaigns, the latest first")
async def list_campaigns(_: Staff, deps: DepsDep, limit: Annotated[int, Query(ge=1, le=100)] = 20,
                         offset: Offset = 0) -> Page[CampaignPublic]:  # fmt: skip
    items, total = await deps.campaigns.search(limit, offset)
    views = [public(c, await deps.campaign_sites.of_campaign(c["_id"])) for c in items]
    return Page[CampaignPublic](items=views, total=total)


@router.get("/{campaign_id}", response_model=CampaignPublic, summary="One campaign (a hospital's key: its own site)")
async def get_campaign(campaign_id: str, principal: StaffOrSite, deps: DepsDep) -> CampaignPublic:
    return await _view(deps, campaign_id, principal)


async def _agree(kit: Kit, deps: SchedulerDeps, campaign_id: str, site_id: str, starts_at: datetime,
                 by: str) -> CampaignPublic:  # fmt: skip
    now = datetime.now(UTC)
    if starts_at.tzinfo is None or starts_at <= now:
        raise Problem(422, "Invalid request", "the window must start in the future, with a UTC offset",
                      slug="invalid-request")  # fmt: skip
    campaign, row = await _site(deps, campaign_id, site_id)
    if not await _legal(lambda: usecases.agree(kit, deps, campaign, row, starts_at, by, now)):
        raise Problem(409, "Changed meanwhile", "the site moved while this was applied; reload it", slug="conflict")
    return await _view(deps, campaign_id)


@router.post("/{campaign_id}/sites/{site_id}/window", response_model=CampaignPublic,
             summary="The hospital agrees its upgrade window (with the site's key)")  # fmt: skip
async def agree_window(campaign_id: str, site_id: str, body: WindowAgreement, principal: SiteKey, deps: DepsDep,
                       kit: KitDep) -> CampaignPublic:  # fmt: skip
    """Plans the scheduler's maintenance window with it, so monitoring holds the site's alarms meanwhile."""
    principal.act_for_site(site_id)
    view = await _agree(kit, deps, campaign_id, site_id, body.starts_at, principal.subject)
    return view.model_copy(update={"sites": [s for s in view.sites if s.site_id == site_id]})


@router.get("/{campaign_id}/sites/{site_id}/agreement-links", response_model=AgreementLink,
            summary="A signed, expiring link for the site's contact to agree the window and sign off")  # fmt: skip
async def agreement_link(campaign_id: str, site_id: str, principal: SiteKey, deps: DepsDep) -> AgreementLink:
    principal.act_for_site(site_id)
    _, row = await _site(deps, campaign_id, site_id)
    url, expires = usecases.link_for(deps, row, datetime.now(UTC))
    return AgreementLink(url=url, expires_at=expires)


def _linked(deps: SchedulerDeps, token: str) -> tuple[str, str]:
    try:
        return usecases.read_link(deps, token)
    except jwt.PyJWTError as exc:
        raise Problem(403, "Forbidden", f"this link is not valid: {exc}", slug="bad-link") from None


@router.get("/agreements/{token}", response_model=CampaignSitePublic,
            summary="What the hospital's contact is asked to agree (the signed link is the credential)")  # fmt: skip
async def read_agreement(token: str, deps: DepsDep) -> CampaignSitePublic:
    """The site's row: its state, the window taken or agreed so far, and why it is held back, if it is."""
    campaign_id, site_id = _linked(deps, token)
    return await _row(deps, campaign_id, site_id)


@router.post("/agreements/{token}", response_model=CampaignSitePublic,
             summary="The hospital's contact agrees the window (the signed link is the credential)")  # fmt: skip
async def agree_by_link(token: str, body: WindowAgreement, deps: DepsDep, kit: KitDep) -> CampaignSitePublic:
    campaign_id, site_id = _linked(deps, token)
    view = await _agree(kit, deps, campaign_id, site_id, body.starts_at, f"link:{site_id}")
    return next(s for s in view.sites if s.site_id == site_id)


@router.post("/{campaign_id}/sites/{site_id}/checks", response_model=CampaignSitePublic,
             summary="The site's agent reports its pre- or post-upgrade checks")  # fmt: skip
async def report_checks(campaign_id: str, site_id: str, body: SiteChecks, principal: SiteAgent, deps: DepsDep,
                        kit: KitDep) -> CampaignSitePublic:  # fmt: skip
    """Pre: a recent backup, free archive and tablespace, HA, DICOM echo, no open critical incident, the release's
    licences. Post: the target version reported and no archive count lower than before; a drop fails the site."""
    principal.act_for_site(site_id)
    campaign, row = await _site(deps, campaign_id, site_id)
    check = usecases.precheck if body.phase is CheckPhase.pre else usecases.postcheck
    await _legal(lambda: check(kit, deps, campaign, row, body, datetime.now(UTC)))
    return await _row(deps, campaign_id, site_id)


@router.post("/{campaign_id}/sites/{site_id}/rollback", response_model=CampaignSitePublic,
             summary="Record that an upgrade in progress was rolled back, and why")  # fmt: skip
async def roll_back(campaign_id: str, site_id: str, body: Rollback, actor: FieldEngineer, deps: DepsDep,
                    kit: KitDep) -> CampaignSitePublic:  # fmt: skip
    """A rolled-back site counts against its wave like a failed one."""
    _, row = await _site(deps, campaign_id, site_id)

    async def work(tx: Tx) -> bool:
        reason = f"rolled back by {actor.subject}: {body.reason}"
        return await usecases.move_site(tx, deps, row, "rolled_back", reason, datetime.now(UTC))

    if not await _legal(lambda: kit.uow.run(work)):
        raise Problem(409, "Changed meanwhile", "the site moved while this was applied; reload it", slug="conflict")
    return await _row(deps, campaign_id, site_id)


async def _verify(kit: Kit, deps: SchedulerDeps, campaign_id: str, site_id: str, by: str) -> CampaignSitePublic:
    _, row = await _site(deps, campaign_id, site_id)
    try:
        reasons = await _legal(lambda: usecases.sign_off(kit, deps, row, by, datetime.now(UTC)))
    except usecases.Moved:
        raise Problem(409, "Changed meanwhile", "the site moved while this was applied; reload it",
                      slug="conflict") from None  # fmt: skip
    if reasons:
        raise Problem(409, "Not yet", "; ".join(reasons), slug="soak-not-over")
    return await _row(deps, campaign_id, site_id)


@router.post("/{campaign_id}/sites/{site_id}/verification", response_model=CampaignSitePublic,
             summary="The hospital signs the upgraded site off (with the site's key)")  # fmt: skip
async def verify(campaign_id: str, site_id: str, principal: SiteKey, deps: DepsDep,
                 kit: KitDep) -> CampaignSitePublic:  # fmt: skip
    principal.act_for_site(site_id)
    return await _verify(kit, deps, campaign_id, site_id, principal.subject)


@router.post("/verifications/{token}", response_model=CampaignSitePublic,
             summary="The hospital's contact signs the upgraded site off (the link is the credential)")  # fmt: skip
async def verify_by_link(token: str, deps: DepsDep, kit: KitDep) -> CampaignSitePublic:
    campaign_id, site_id = _linked(deps, token)
    return await _verify(kit, deps, campaign_id, site_id, f"link:{site_id}")


async def _row(deps: SchedulerDeps, campaign_id: str, site_id: str) -> CampaignSitePublic:
    row: dict[str, Any] = found(await deps.campaign_sites.get(campaign_id, site_id), f"no site {site_id!r}")
    return model_of(CampaignSitePublic, row)
