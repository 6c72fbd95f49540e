"""Remote-access requests: an engineer asks, the hospital's approvers decide (by their signed link or with the
site's key), the engineer fetches the certificate, either side ends it; every step on the record."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

import jwt
from fastapi import APIRouter, Query, Response

from pacs_access.deps import AccessDeps, DepsDep
from pacs_access.domain import grants
from pacs_access.domain.grants import NotAllowed
from pacs_access.usecases import grants as moves
from pacs_access.usecases.grants import Moved
from pacs_contracts.api import (
    AccessRequestCreate,
    AccessRequestPublic,
    AccessState,
    ApprovalLink,
    CertificatePublic,
    Decision,
    Declaration,
    EndCreate,
    LinkDecision,
    Page,
)
from pacs_contracts.common import Identifier, Role
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, Offset
from pacs_kit.documents import model_of
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found
from pacs_kit.service import Kit

router = APIRouter(prefix="/api/v1/remote-access", tags=["remote access"])
Requester = Annotated[Principal, require(Role.engineer, Role.supervisor, Role.admin)]
Reader = Annotated[Principal, require(Role.his, Role.engineer, Role.supervisor, Role.admin)]
Hospital = Annotated[Principal, require(Role.his)]
EXPORTED = ("request_id", "site_id", "incident_id", "visit_id", "campaign_id", "hosts", "purpose", "level",
            "duration", "requested_by", "requested_at", "state", "approvals", "denied_by", "denied_reason",
            "valid_from", "valid_until", "certificate_serial", "ended_at", "ended_by", "end_reason",
            "patient_data_seen")  # fmt: skip


def public(doc: Document) -> AccessRequestPublic:
    return model_of(AccessRequestPublic, doc, id_as="request_id")


def _refused(exc: Exception) -> Problem:
    return Problem(409, "Not allowed now", str(exc), slug="illegal-transition")


def _moved(request_id: str) -> Problem:
    return Problem(409, "Changed meanwhile", f"request {request_id} changed while this was applied; reload it",
                   slug="conflict")  # fmt: skip


async def _may_see(principal: Principal, request: Document, deps: AccessDeps) -> bool:
    """Supervisors and admins: every request. A hospital's key: its own site's. An engineer: their own, and
    those of the sites of their regions or whose account engineer they are."""
    if principal.roles & {Role.supervisor, Role.admin}:
        return True
    if Role.his in principal.roles:
        return request["site_id"] == principal.site_id
    if request["requested_by"] == principal.subject:
        return True
    site = await deps.sites.get(request["site_id"]) or {}
    return principal.serves(site)


async def _request(request_id: str, principal: Principal, deps: AccessDeps) -> Document:
    doc = await deps.requests.get(request_id)
    visible = doc is not None and await _may_see(principal, doc, deps)
    return found(doc if visible else None, f"no remote-access request {request_id!r}")


@router.post("/requests", status_code=201, response_model=AccessRequestPublic,
             summary="Ask a hospital for remote access to its servers")  # fmt: skip
async def create(body: AccessRequestCreate, actor: Requester, deps: DepsDep, kit: KitDep) -> AccessRequestPublic:
    """Nothing is reachable until the hospital's approvers grant it (two for a change); the clock starts at the
    approval, or at the agreed `starts_at`. A request a standing rule of the contract covers is granted at once,
    and the hospital told."""
    site = await deps.sites.get(body.site_id)
    if site is None:
        raise Problem(
            422, "Invalid request", f"site_id: no site {body.site_id!r} is known here", slug="invalid-request"
        )
    if not (actor.roles & {Role.supervisor, Role.admin} or actor.serves(site)):
        raise Problem(403, "Forbidden", f"site {body.site_id} is outside your regions", slug="forbidden")
    try:
        return public(await moves.open_request(kit, deps, body, site, actor.subject))
    except NotAllowed as exc:
        raise Problem(422, "Invalid request", str(exc), slug="invalid-request") from None


@router.get("/requests", response_model=Page[AccessRequestPublic],
            summary="Remote-access requests, the latest first (CSV per hospital with format=csv)",
            responses={200: {"content": {"text/csv": {}}}})  # fmt: skip
async def list_requests(
    actor: Reader,
    deps: DepsDep,
    site_id: Identifier | None = None,
    incident_id: Identifier | None = None,
    state: AccessState | None = None,
    format: Literal["json", "csv"] = "json",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> Any:
    """A hospital's key sees its own site's; the history stays after every grant has expired."""
    if Role.his in actor.roles:
        site_id = actor.site_id
    filters = {k: v for k, v in {"site_id": site_id, "incident_id": incident_id, "state": state}.items() if v}
    if format == "csv":
        if site_id is None:
            raise Problem(422, "Invalid request", "site_id: the export is per hospital", slug="invalid-request")
        items, _ = await deps.requests.search(filters, 100_000, 0)
        name = f"remote-access-{site_id}.csv"
        return Response(_csv([d for d in items if await _may_see(actor, d, deps)]), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    items, total = await deps.requests.search(filters, limit, offset)
    shown = [public(d) for d in items if await _may_see(actor, d, deps)]
    return Page[AccessRequestPublic](items=shown, total=total if len(shown) == len(items) else None)


def _csv(docs: list[Document]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORTED)
    for doc in docs:
        row = {**doc, "request_id": doc["_id"], "patient_data_seen": (doc.get("declaration") or {}).get(
            "patient_data_seen"), "approvals": "; ".join(f"{a['name']} {a['at']:%Y-%m-%dT%H:%M:%SZ}"
                                                          for a in doc.get("approvals", [])),
               "hosts": " ".join(doc["hosts"])}  # fmt: skip
        writer.writerow(["" if row.get(k) is None else row[k] for k in EXPORTED])
    return ("\ufeff" + out.getvalue()).encode()


@router.get("/requests/{request_id}", response_model=AccessRequestPublic, summary="One remote-access request")
async def get_request(request_id: str, actor: Reader, deps: DepsDep) -> AccessRequestPublic:
    return public(await _request(request_id, actor, deps))


@router.get("/requests/{request_id}/approval-links", response_model=list[ApprovalLink],
            summary="The hospital's signed links, one for each approver still to decide")  # fmt: skip
async def approval_links(request_id: str, actor: Hospital, deps: DepsDep) -> list[ApprovalLink]:
    """For the hospital's own systems to hand to its approvers; the engineer never sees them."""
    request = await _request(request_id, actor, deps)
    if request["state"] != AccessState.requested.value:
        return []
    decided = {a["name"] for a in request["approvals"]}
    links = []
    for approver in request["approvers"]:
        if approver not in decided:
            url, expires = moves.approval_link(deps, request, approver, moves.now())
            links.append(ApprovalLink(approver=approver, url=url, expires_at=expires))
    return links


async def _decide(kit: Kit, deps: AccessDeps, request: Document, name: str, approve: bool, reason: str | None,
                  via: str, credential: str) -> AccessRequestPublic:  # fmt: skip
    at = moves.now()
    try:
        fields = (grants.approve(request, name, via, at, credential) if approve
                  else grants.deny(request, name, reason, at))  # fmt: skip
    except NotAllowed as exc:
        raise _refused(exc) from None
    fields = await moves.with_certificate(deps, request, fields)
    after = {**request, **fields}
    events = []
    if fields.get("state") == AccessState.granted.value:
        events.append(moves.granted_event(after))
    elif fields.get("state") == AccessState.denied.value:
        events.append(moves.denied_event(after))
    try:
        return public(await moves.move(kit, deps, request, fields, events))
    except Moved:
        raise _moved(request["_id"]) from None


async def _linked(token: str, deps: AccessDeps) -> tuple[Document, str]:
    try:
        request_id, approver = moves.read_link(deps, token)
    except jwt.PyJWTError as exc:
        raise Problem(403, "Forbidden", f"this link is not valid: {exc}", slug="bad-link") from None
    request = await deps.requests.get(request_id)
    if request is None:
        raise Problem(403, "Forbidden", "this link points at no request", slug="bad-link")
    return request, approver


@router.get("/approvals/{token}", response_model=AccessRequestPublic,
            summary="What an approver's link asks them to decide")  # fmt: skip
async def linked_request(token: str, deps: DepsDep) -> AccessRequestPublic:
    request, _ = await _linked(token, deps)
    return public(request)


@router.post("/approvals/{token}", response_model=AccessRequestPublic,
             summary="An approver decides through their signed link (the link is the credential)")  # fmt: skip
async def decide_by_link(token: str, body: LinkDecision, deps: DepsDep, kit: KitDep) -> AccessRequestPublic:
    request, approver = await _linked(token, deps)
    return await _decide(kit, deps, request, approver, body.approve, body.reason, "link", f"link:{approver}")


@router.post("/requests/{request_id}/decisions", response_model=AccessRequestPublic,
             summary="An approver decides through the hospital's own system (its site key)")  # fmt: skip
async def decide(request_id: str, body: Decision, actor: Hospital, deps: DepsDep, kit: KitDep) -> AccessRequestPublic:
    request = await _request(request_id, actor, deps)
    return await _decide(kit, deps, request, body.name, body.approve, body.reason, "api", actor.subject)


@router.get("/requests/{request_id}/certificate", response_model=CertificatePublic,
            summary="The granted certificate, for the engineer who asked")  # fmt: skip
async def certificate(request_id: str, actor: Requester, deps: DepsDep) -> CertificatePublic:
    request = await _request(request_id, actor, deps)
    if request["requested_by"] != actor.subject:
        raise Problem(403, "Forbidden", "only the engineer who asked receives the certificate", slug="forbidden")
    if request["state"] != AccessState.granted.value:
        raise Problem(409, "Not granted", f"the request is {request['state']}: there is no valid certificate",
                      slug="not-granted", state=request["state"])  # fmt: skip
    return CertificatePublic(request_id=request["_id"], serial=request["certificate_serial"],
                             principals=request["hosts"], valid_from=request["valid_from"],
                             valid_until=request["valid_until"], certificate=request["certificate"])  # fmt: skip


@router.post("/requests/{request_id}/end", response_model=AccessRequestPublic,
             summary="End a grant now (its certificate is revoked), or withdraw a request")  # fmt: skip
async def end(request_id: str, body: EndCreate, actor: Reader, deps: DepsDep, kit: KitDep) -> AccessRequestPublic:
    """Either side: the engineer who asked, a supervisor, or the hospital with its key."""
    request = await _request(request_id, actor, deps)
    own = request["requested_by"] == actor.subject or actor.roles & {Role.supervisor, Role.admin, Role.his}
    if not own:
        raise Problem(403, "Forbidden", "only the engineer who asked, a supervisor or the hospital ends it",
                      slug="forbidden")  # fmt: skip
    by = f"hospital ({actor.site_id})" if Role.his in actor.roles else actor.subject
    try:
        fields = grants.end(request, by, body.reason, moves.now())
    except NotAllowed as exc:
        raise _refused(exc) from None
    after = {**request, **fields}
    events = [moves.ended_event(after)] if fields["state"] == AccessState.ended.value else []
    try:
        return public(await moves.move(kit, deps, request, fields, events))
    except Moved:
        raise _moved(request_id) from None


@router.post("/requests/{request_id}/declaration", response_model=AccessRequestPublic,
             summary="The engineer declares, after the session, whether patient data was seen")  # fmt: skip
async def declare(request_id: str, body: Declaration, actor: Requester, deps: DepsDep,
                  kit: KitDep) -> AccessRequestPublic:  # fmt: skip
    request = await _request(request_id, actor, deps)
    if request["requested_by"] != actor.subject:
        raise Problem(403, "Forbidden", "the engineer who had the access declares", slug="forbidden")
    if request["state"] != AccessState.ended.value or request.get("declaration"):
        raise Problem(409, "Not allowed now", "a declaration follows the end of a granted session, once",
                      slug="illegal-transition", state=request["state"])  # fmt: skip
    fields = {"declaration": {**body.model_dump(mode="json"), "at": moves.now()}}
    try:
        return public(await moves.move(kit, deps, request, fields, []))
    except Moved:
        raise _moved(request_id) from None


@router.get("/ca", summary="The certificate authority's public key, for a host's TrustedUserCAKeys",
            responses={200: {"content": {"text/plain": {}}}})  # fmt: skip
async def ca_key(deps: DepsDep) -> Response:
    return Response(await deps.ca.public_key() + "\n", media_type="text/plain")


@router.get("/krl", summary="The key revocation list, for a host's RevokedKeys",
            responses={200: {"content": {"application/octet-stream": {}}}})  # fmt: skip
async def krl(deps: DepsDep) -> Response:
    """Public like a certificate revocation list: it names serial numbers only. Made again only when a
    revocation changed it."""
    mark = await deps.requests.revocation_mark()
    if deps.krl_cache.get("mark") != mark:
        deps.krl_cache.update(mark=mark, body=await deps.ca.revocation_list(await deps.requests.revoked_serials()))
    return Response(deps.krl_cache["body"], media_type="application/octet-stream")
