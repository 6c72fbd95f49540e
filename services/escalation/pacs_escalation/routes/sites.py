"""Sites with their contract and account engineer; registering one announces it to every service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pymongo.errors import DuplicateKeyError

from pacs_contracts.api import ContractTerms, Page, SiteCreate, SitePublic
from pacs_escalation.deps import DepsDep
from pacs_escalation.domain.sites import query_key, registered, search_keys
from pacs_escalation.domain.terms import service_now
from pacs_kit.deps import Admin, KitDep, Offset, Staff
from pacs_kit.documents import model_of
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found
from pacs_kit.uow import Tx

router = APIRouter(prefix="/api/v1/sites", tags=["sites"])


def _public(doc: Document) -> SitePublic:
    return model_of(SitePublic, doc, id_as="site_id", service_now=service_now(doc["contract"], datetime.now(UTC)))


@router.post("", status_code=201, response_model=SitePublic, summary="Register a site with its contract")
async def register_site(body: SiteCreate, _: Admin, deps: DepsDep, kit: KitDep, response: Response) -> SitePublic:
    if not await deps.engineers.active([body.account_engineer_id]):
        raise Problem(
            422, "Unknown engineer", f"no engineer {body.account_engineer_id!r} is registered", slug="unknown-engineer"
        )
    doc = {"_id": body.site_id, **body.model_dump(exclude={"site_id"}, mode="python"), "created_at": datetime.now(UTC)}
    doc["contract"] = body.contract.model_dump(mode="json")
    doc["search_keys"] = search_keys(doc)

    async def save(tx: Tx) -> None:
        await deps.sites.add(doc, tx.session)
        await tx.emit(registered(doc), correlation_id=body.site_id)

    try:
        await kit.uow.run(save)
    except DuplicateKeyError:
        raise Problem(409, "Already exists", f"site {body.site_id!r} is already registered", slug="conflict") from None
    response.headers["Location"] = f"/api/v1/sites/{body.site_id}"
    return _public(doc)


@router.get("", response_model=Page[SitePublic], summary="List sites")
async def list_sites(
    _: Staff,
    deps: DepsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="find as a caller would: phone number, name, alias, city or site id "
            "(from the start of a word; any part of a Chinese name)",
        ),
    ] = None,
) -> Page[SitePublic]:
    if q is not None:
        found = await deps.sites.search(query_key(q), limit)
        return Page[SitePublic](items=[_public(d) for d in found])
    items, total = await deps.sites.list(limit, offset)
    return Page[SitePublic](items=[_public(d) for d in items], total=total)


@router.get("/{site_id}", response_model=SitePublic, summary="One site")
async def get_site(site_id: str, _: Staff, deps: DepsDep) -> SitePublic:
    doc = found(await deps.sites.get(site_id), f"no site {site_id!r}")
    return _public(doc)


@router.put("/{site_id}/contract", response_model=SitePublic, summary="Replace a site's contract terms")
async def put_contract(site_id: str, body: ContractTerms, _: Admin, deps: DepsDep, kit: KitDep) -> SitePublic:
    """Running incidents keep the terms they opened with; new incidents get these. The site is announced again
    (`site.registered`), so the services that keep a copy of what the contract commits to stay current."""
    contract = body.model_dump(mode="json")

    async def save(tx: Tx) -> bool:
        if not await deps.sites.set_contract(site_id, contract, tx.session):
            return False
        site = await deps.sites.get(site_id, tx.session)
        assert site is not None
        await tx.emit(registered(site), correlation_id=site_id)
        return True

    if not await kit.uow.run(save):
        raise Problem(404, "Not found", f"no site {site_id!r}", slug="not-found")
    doc = await deps.sites.get(site_id)
    assert doc is not None
    return _public(doc)
