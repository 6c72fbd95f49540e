"""Hospitals' API keys, issued and revoked by admins (the console's page, or any client): the key is shown once,
only its digest is kept, and `site_key.issued` / `site_key.revoked` carry the digest to monitoring and the
scheduler, so one key serves the hospital's HIS, site agent and PM reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pacs_contracts.api import Page, SiteKeyCreate, SiteKeyCreated, SiteKeyPublic
from pacs_contracts.common import Identifier
from pacs_contracts.events import SiteKeyIssued, SiteKeyRevoked
from pacs_intake.deps import DepsDep
from pacs_kit.deps import Admin, KitDep
from pacs_kit.documents import model_of
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found
from pacs_kit.uow import Tx

router = APIRouter(prefix="/api/v1/site-keys", tags=["site keys"])


def _public(doc: Document) -> SiteKeyPublic:
    return model_of(SiteKeyPublic, doc, id_as="key_id")


@router.post("", status_code=201, response_model=SiteKeyCreated, summary="Issue a hospital's API key (shown once)")
async def issue(body: SiteKeyCreate, _: Admin, deps: DepsDep, kit: KitDep) -> SiteKeyCreated:
    if not await deps.sites.exists(body.site_id):
        raise Problem(422, "Unknown site", f"no site {body.site_id!r} is registered", slug="unknown-site")
    expires = timedelta(days=body.expires_days) if body.expires_days else None
    made: dict[str, Any] = {}

    async def save(tx: Tx) -> None:
        key, doc = await kit.auth.api_keys.issue(body.site_id, name=body.name, expires_in=expires, session=tx.session)
        made.update(key=key, doc=doc)
        await tx.emit(SiteKeyIssued(key_id=doc["_id"], site_id=body.site_id, name=body.name, digest=doc["hash"],
                                    created_at=doc["created_at"], expires_at=doc["expires_at"]))  # fmt: skip
        tx.audit(after=_public(doc).model_dump(mode="json"))

    await kit.uow.run(save)
    return SiteKeyCreated(key=made["key"], **_public(made["doc"]).model_dump())


@router.get("", response_model=Page[SiteKeyPublic], summary="Hospitals' keys, newest first (never the key)")
async def listed(
    _: Admin,
    kit: KitDep,
    site_id: Identifier | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[SiteKeyPublic]:
    return Page[SiteKeyPublic](items=[_public(d) for d in await kit.auth.api_keys.listed(site_id, limit)])


@router.delete("/{key_id}", response_model=SiteKeyPublic, summary="Revoke a key: every service refuses it")
async def revoke(key_id: Identifier, _: Admin, kit: KitDep) -> SiteKeyPublic:
    doc = found(await kit.auth.api_keys.get(key_id), f"no key {key_id!r}")
    if doc["revoked_at"] is not None:
        return _public(doc)  # revoked already: the same answer again
    now = datetime.now(UTC)

    async def save(tx: Tx) -> None:
        if await kit.auth.api_keys.revoke(key_id, tx.session, now):
            await tx.emit(SiteKeyRevoked(key_id=key_id, site_id=doc["site_id"], revoked_at=now))
            tx.audit(before=_public(doc).model_dump(mode="json"))

    await kit.uow.run(save)
    stored = await kit.auth.api_keys.get(key_id)
    assert stored is not None
    return _public(stored)
