"""Service reviews: built for a hospital and a period, completed by its engineer, approved by a supervisor,
published to the hospital, acknowledged by its contact through a signed link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import jwt
from fastapi import APIRouter, Query, Response
from pymongo.errors import DuplicateKeyError

from pacs_contracts.api import (
    Page,
    ReviewAcknowledgement,
    ReviewPublished,
    ReviewState,
    ServiceReviewCreate,
    ServiceReviewEdit,
    ServiceReviewPublic,
    Waiver,
)
from pacs_contracts.common import Identifier, Role
from pacs_contracts.events import ServiceReviewAcknowledged, ServiceReviewPublished
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, Offset
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found
from pacs_kit.service import Kit
from pacs_kit.uow import Tx
from pacs_scheduler.adapters import review_documents
from pacs_scheduler.deps import DepsDep, SchedulerDeps
from pacs_scheduler.domain.review import BadPeriod, unwaived
from pacs_scheduler.usecases import reviews
from pacs_scheduler.usecases.reviews import UnknownSites

router = APIRouter(prefix="/api/v1/service-reviews", tags=["service reviews"])
Author = Annotated[Principal, require(Role.engineer, Role.supervisor, Role.admin)]
Approver = Annotated[Principal, require(Role.supervisor, Role.admin)]
Reader = Annotated[Principal, require(Role.his, Role.engineer, Role.supervisor, Role.admin)]
ENGINEER_SCAN = 2000
SHOWN_TO_HOSPITAL = (ReviewState.published.value, ReviewState.acknowledged.value)
MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


async def _may_act_for(principal: Principal, site_ids: list[str], deps: SchedulerDeps) -> bool:
    """Supervisors and admins: every site. An engineer: sites of the regions in their token, or whose account
    engineer they are. A hospital's key: its own site's reviews once published."""
    if principal.roles & {Role.supervisor, Role.admin}:
        return True
    if Role.his in principal.roles:
        return site_ids == [principal.site_id]
    if Role.engineer not in principal.roles:
        return False
    for site_id in site_ids:
        site = await deps.sites.get(site_id) or {}
        if not principal.serves(site):
            return False
    return True


async def _review(review_id: str, principal: Principal, deps: SchedulerDeps) -> Document:
    """The review, or a 404 when there is none or the caller may not see it."""
    doc = await deps.reviews.get(review_id)
    visible = doc is not None and await _may_act_for(principal, doc["site_ids"], deps)
    if doc is not None and Role.his in principal.roles and doc["state"] not in SHOWN_TO_HOSPITAL:
        visible = False
    return found(doc if visible else None, f"no service review {review_id!r}")


def _not_now(doc: Document, wanted: str) -> Problem:
    return Problem(409, "Not allowed now", f"the review is {doc['state']}; this needs it {wanted}",
                   slug="illegal-transition", state=doc["state"])  # fmt: skip


async def _move(kit: Kit, deps: SchedulerDeps, doc: Document, states: tuple[str, ...], fields: dict[str, Any],
                event: Any = None, *, link_id: str | None = None) -> Document:  # fmt: skip
    async def work(tx: Tx) -> bool:
        if not await deps.reviews.move(doc["_id"], states, fields, tx.session, link_id=link_id):
            return False
        if event is not None:
            await tx.emit(event, correlation_id=doc["_id"])
        tx.audit(before={"state": doc["state"]}, after={k: v for k, v in fields.items() if k != "snapshot"})
        return True

    if not await kit.uow.run(work):
        raise Problem(409, "Changed meanwhile", "the review changed while this was applied; reload it",
                      slug="conflict")  # fmt: skip
    return {**doc, **fields}


def _holes_block(doc: Document) -> None:
    open_holes = unwaived(doc["holes"])
    if open_holes:
        listed = "; ".join(f"{h['incident_id']} ({h['kind']})" for h in open_holes[:20])
        raise Problem(409, "The review has holes", f"{len(open_holes)} hole(s) to resolve (then rebuild) or waive "
                      f"with a reason first: {listed}", slug="review-has-holes", holes=open_holes)  # fmt: skip


@router.post("", status_code=201, response_model=ServiceReviewPublic, summary="Build a service review (a draft)")
async def create(body: ServiceReviewCreate, actor: Author, deps: DepsDep, kit: KitDep) -> ServiceReviewPublic:
    """The figures are counted now and frozen with the version of the counting rules; one review per group of
    sites and period (a second is a 409 naming the first)."""
    site_ids = body.sites()
    if not await _may_act_for(actor, site_ids, deps):
        raise Problem(403, "Forbidden", "these sites are outside your regions", slug="forbidden")
    try:
        doc = await reviews.draft(deps, site_ids, body.period, datetime.now(UTC), actor.subject)
    except UnknownSites as exc:
        raise Problem(422, "Invalid request", str(exc), slug="invalid-request") from None
    except BadPeriod as exc:
        raise Problem(422, "Invalid request", f"period: {exc}", slug="invalid-request") from None
    if (existing := await deps.reviews.by_key(doc["key"])) is not None:
        raise Problem(409, "Already reviewed", f"these sites have review {existing['_id']} for {doc['period']}",
                      slug="conflict", review_id=existing["_id"])  # fmt: skip

    async def add(tx: Tx) -> None:
        await deps.reviews.add(doc, tx.session)

    try:
        await kit.uow.run(add)
    except DuplicateKeyError:  # the same review built at the same moment: the other one stands
        raise Problem(409, "Already reviewed", f"these sites have a review for {doc['period']}",
                      slug="conflict") from None  # fmt: skip
    return reviews.public(doc)


@router.get("", response_model=Page[ServiceReviewPublic], summary="Service reviews, the latest built first")
async def list_reviews(
    actor: Reader,
    deps: DepsDep,
    site_id: Identifier | None = None,
    state: ReviewState | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
) -> Page[ServiceReviewPublic]:
    """A hospital's key lists its own published reviews; an engineer those of their sites."""
    filters: dict[str, Any] = {k: v for k, v in {"site_ids": site_id, "state": state}.items() if v is not None}
    if Role.his in actor.roles:
        if state is not None and state.value not in SHOWN_TO_HOSPITAL:
            return Page[ServiceReviewPublic](items=[], total=0)
        filters |= {"site_ids": [actor.site_id], "state": filters.get("state") or {"$in": list(SHOWN_TO_HOSPITAL)}}
    if actor.roles & {Role.supervisor, Role.admin, Role.his}:
        items, total = await deps.reviews.search(filters, limit, offset)
        return Page[ServiceReviewPublic](items=[reviews.public(d) for d in items], total=total)
    # an engineer's sites follow from the regions in their token and the sites they are account engineer of
    sites = await deps.sites.collection.find(
        {"$or": [{"region": {"$in": list(actor.regions)}}, {"account_engineer_id": actor.subject}]}, {"_id": 1}
    ).to_list()
    own = {s["_id"] for s in sites}
    if site_id is not None and site_id not in own:
        return Page[ServiceReviewPublic](items=[], total=0)
    candidates, _ = await deps.reviews.search({**filters, "site_ids": filters.get("site_ids") or {"$in": sorted(own)}},
                                              ENGINEER_SCAN, 0)  # fmt: skip
    mine = [d for d in candidates if set(d["site_ids"]) <= own]  # a group review: every one of its sites
    return Page[ServiceReviewPublic](items=[reviews.public(d) for d in mine[offset : offset + limit]], total=len(mine))


@router.get("/{review_id}", response_model=ServiceReviewPublic, summary="A service review, as JSON or a document",
            responses={200: {"content": {m: {} for m in MEDIA.values()}}})  # fmt: skip
async def get_review(review_id: str, actor: Reader, deps: DepsDep,
                     format: Literal["json", "pdf", "csv", "xlsx"] = "json") -> Any:  # fmt: skip
    doc = await _review(review_id, actor, deps)
    shown = reviews.public(doc)
    if format == "json":
        return shown
    sites = {s: (await deps.sites.get(s) or {}).get("name", s) for s in doc["site_ids"]}
    zone = (await deps.sites.get(doc["site_ids"][0]) or {}).get("time_zone", "UTC")
    if format == "csv":
        body = review_documents.render_csv(shown)
    elif format == "xlsx":
        body = review_documents.render_xlsx(shown, sites)
    else:
        body = await review_documents.render_pdf(shown, sites, zone)
    name = f"service-review-{doc['_id']}.{format}"
    return Response(body, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.patch("/{review_id}", response_model=ServiceReviewPublic, summary="Add recommendations and action items")
async def edit(review_id: str, body: ServiceReviewEdit, actor: Author, deps: DepsDep,
               kit: KitDep) -> ServiceReviewPublic:  # fmt: skip
    doc = await _review(review_id, actor, deps)
    if doc["state"] != ReviewState.draft.value:
        raise _not_now(doc, "a draft")
    fields = body.model_dump(mode="json", exclude_none=True)
    if not fields:
        return reviews.public(doc)
    return reviews.public(await _move(kit, deps, doc, (ReviewState.draft.value,), fields))


@router.post("/{review_id}/rebuild", response_model=ServiceReviewPublic,
             summary="Count a draft's figures again (after holes were mended)")  # fmt: skip
async def rebuild(review_id: str, actor: Author, deps: DepsDep, kit: KitDep) -> ServiceReviewPublic:
    doc = await _review(review_id, actor, deps)
    if doc["state"] != ReviewState.draft.value:
        raise _not_now(doc, "a draft")
    fields = await reviews.rebuilt(deps, doc, datetime.now(UTC))
    return reviews.public(await _move(kit, deps, doc, (ReviewState.draft.value,), fields))


@router.post("/{review_id}/waivers", response_model=ServiceReviewPublic,
             summary="Waive a hole of a draft, with the reason")  # fmt: skip
async def waive(review_id: str, body: Waiver, actor: Approver, deps: DepsDep, kit: KitDep) -> ServiceReviewPublic:
    doc = await _review(review_id, actor, deps)
    if doc["state"] != ReviewState.draft.value:
        raise _not_now(doc, "a draft")
    holes = [dict(h) for h in doc["holes"]]
    hit = [h for h in holes if h["incident_id"] == body.incident_id and h["kind"] == body.kind.value]
    if not hit:
        raise Problem(422, "Invalid request", f"the review has no {body.kind.value} hole for {body.incident_id}",
                      slug="invalid-request")  # fmt: skip
    for hole in hit:
        hole["waived"] = body.reason
    waiver = {"incident_id": body.incident_id, "kind": body.kind.value, "reason": body.reason, "by": actor.subject,
              "at": datetime.now(UTC)}  # fmt: skip
    fields = {"holes": holes, "waivers": [*doc.get("waivers", []), waiver]}
    return reviews.public(await _move(kit, deps, doc, (ReviewState.draft.value,), fields))


@router.post("/{review_id}/approve", response_model=ServiceReviewPublic, summary="Approve a draft")
async def approve(review_id: str, actor: Approver, deps: DepsDep, kit: KitDep) -> ServiceReviewPublic:
    """Only a draft without holes, or whose holes are waived."""
    doc = await _review(review_id, actor, deps)
    if doc["state"] != ReviewState.draft.value:
        raise _not_now(doc, "a draft")
    _holes_block(doc)
    fields = {"state": ReviewState.approved.value, "approved_by": actor.subject, "approved_at": datetime.now(UTC)}
    return reviews.public(await _move(kit, deps, doc, (ReviewState.draft.value,), fields))


@router.post("/{review_id}/publish", response_model=ReviewPublished,
             summary="Publish an approved review to the hospital: its signed acknowledgement link")  # fmt: skip
async def publish(review_id: str, actor: Approver, deps: DepsDep, kit: KitDep) -> ReviewPublished:
    """The link goes to the hospital's contact; publishing again (until acknowledged) issues a new link and the
    old one stops working."""
    doc = await _review(review_id, actor, deps)
    if doc["state"] not in (ReviewState.approved.value, ReviewState.published.value):
        raise _not_now(doc, "approved")
    _holes_block(doc)
    now = datetime.now(UTC)
    url, token_id, expires = reviews.link_for(deps, doc, now)
    fields = {"state": ReviewState.published.value, "published_at": now, "published_by": actor.subject,
              "link_id": token_id, "link_expires_at": expires}  # fmt: skip
    event = ServiceReviewPublished(review_id=doc["_id"], site_ids=tuple(doc["site_ids"]), period=doc["period"],
                                   published_at=now)  # fmt: skip
    states = (ReviewState.approved.value, ReviewState.published.value)
    moved = await _move(kit, deps, doc, states, fields, event)
    return ReviewPublished(review=reviews.public(moved), acknowledge_url=url, expires_at=expires)


async def _linked(token: str, deps: SchedulerDeps) -> Document:
    try:
        review_id, token_id = reviews.read_link(deps, token)
    except jwt.PyJWTError as exc:
        raise Problem(403, "Forbidden", f"this link is not valid: {exc}", slug="bad-link") from None
    doc = await deps.reviews.get(review_id)
    if doc is None or doc.get("link_id") != token_id:
        raise Problem(403, "Forbidden", "this link was replaced by a newer one, or the review is gone",
                      slug="bad-link")  # fmt: skip
    return doc


@router.get("/acknowledgements/{token}", response_model=ServiceReviewPublic,
            summary="The review a hospital's link points at")  # fmt: skip
async def linked_review(token: str, deps: DepsDep) -> ServiceReviewPublic:
    return reviews.public(await _linked(token, deps))


@router.post("/acknowledgements/{token}", response_model=ServiceReviewPublic,
             summary="The hospital's contact acknowledges the review (the signed link is the credential)")  # fmt: skip
async def acknowledge(token: str, body: ReviewAcknowledgement, deps: DepsDep, kit: KitDep) -> ServiceReviewPublic:
    doc = await _linked(token, deps)
    if doc["state"] != ReviewState.published.value:
        raise _not_now(doc, "published")
    now = datetime.now(UTC)
    fields = {"state": ReviewState.acknowledged.value, "acknowledged_by": body.name, "acknowledged_at": now}
    event = ServiceReviewAcknowledged(review_id=doc["_id"], site_ids=tuple(doc["site_ids"]), period=doc["period"],
                                      acknowledged_at=now)  # fmt: skip
    return reviews.public(await _move(kit, deps, doc, (ReviewState.published.value,), fields, event,
                                      link_id=doc["link_id"]))  # fmt: skip
