"""The release catalogue: publish a release, list and read them, and ask which sites need it and can take it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pymongo.errors import DuplicateKeyError

from pacs_contracts.api import Applicability, Page, ReleaseCreate, ReleaseKind, ReleasePublic
from pacs_contracts.common import Identifier, Role
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, Offset, Staff
from pacs_kit.documents import model_of
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found
from pacs_kit.uow import Tx
from pacs_scheduler.deps import DepsDep, SchedulerDeps
from pacs_scheduler.domain import releases
from pacs_scheduler.usecases import releases as usecases

router = APIRouter(prefix="/api/v1/releases", tags=["releases"])
Publisher = Annotated[Principal, require(Role.supervisor, Role.admin)]


def public(release: Document) -> ReleasePublic:
    return model_of(ReleasePublic, release, id_as="release_id")


async def _release(release_id: str, deps: SchedulerDeps) -> ReleasePublic:
    return public(found(await deps.releases.get(release_id), f"no release {release_id!r}"))


@router.post("", status_code=201, response_model=ReleasePublic, summary="Add a release to the catalogue")
async def create(body: ReleaseCreate, actor: Publisher, deps: DepsDep, kit: KitDep) -> ReleasePublic:
    """One release per product and version (7.2.3 and 7.2.3.0 are one): a second is a 409 naming the first."""
    release = releases.new_release(body, actor.subject, datetime.now(UTC))

    async def add(tx: Tx) -> None:
        await deps.releases.add(release, tx.session)

    try:
        await kit.uow.run(add)
    except DuplicateKeyError:
        existing = await deps.releases.by_key(release["key"])
        assert existing is not None, "only the catalogue key is unique beside the random id"
        raise Problem(409, "Already in the catalogue", f"{body.product} {body.version} is release {existing['_id']}",
                      slug="conflict", release_id=existing["_id"]) from None  # fmt: skip
    return public(release)


@router.get("", response_model=Page[ReleasePublic], summary="Releases, the latest added first")
async def list_releases(
    _: Staff,
    deps: DepsDep,
    product: Identifier | None = None,
    kind: ReleaseKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[ReleasePublic]:
    wanted = {"product": product, "kind": kind and kind.value}
    filters: dict[str, Any] = {k: v for k, v in wanted.items() if v is not None}
    items, total = await deps.releases.search(filters, limit, offset)
    return Page[ReleasePublic](items=[public(r) for r in items], total=total)


@router.get("/{release_id}", response_model=ReleasePublic, summary="One release")
async def get_release(release_id: str, _: Staff, deps: DepsDep) -> ReleasePublic:
    return await _release(release_id, deps)


@router.get("/{release_id}/applicability", response_model=Applicability,
            summary="Which sites need the release, which can take it now, and what holds the others back")  # fmt: skip
async def applicability(release_id: str, _: Staff, deps: DepsDep) -> Applicability:
    """From the versions and licences monitoring reported last. Free space is not reported yet: it is listed under
    `unchecked`, never counted against a site."""
    return await usecases.applicability(deps, await _release(release_id, deps), datetime.now(UTC))
