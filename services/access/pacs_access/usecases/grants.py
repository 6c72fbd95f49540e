"""Moving a request along, shared by the routes (people) and the job (the clock): each move is guarded, audited,
and announced in the same transaction; a grant gets its certificate as it is granted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pacs_access.deps import AccessDeps
from pacs_access.domain import grants, standing
from pacs_contracts.api import AccessRequestCreate, AccessState
from pacs_contracts.events import (
    Event,
    HospitalNotice,
    RemoteAccessDenied,
    RemoteAccessEnded,
    RemoteAccessGranted,
    RemoteAccessRequested,
)
from pacs_kit.links import SignedLinks
from pacs_kit.mongo import Document
from pacs_kit.service import Kit
from pacs_kit.uow import Tx

LINK_AUDIENCE = "pacs-remote-access-approval"  # an approval link is no bearer token, and no bearer token is a link
LINK_HOURS = 24


class Moved(Exception):
    """Someone else moved the request first."""


async def move(kit: Kit, deps: AccessDeps, request: Document, fields: dict[str, Any], events: list[Event],
               *, unwarned: bool = False) -> Document:  # fmt: skip
    """Save `fields` if the request is still as read (state, number of approvals, and not yet warned when
    `unwarned`), with its events."""

    async def work(tx: Tx) -> bool:
        if not await deps.requests.move(request["_id"], request["state"], fields, tx.session,
                                        approvals=len(request.get("approvals", [])), unwarned=unwarned):  # fmt: skip
            return False
        for event in events:
            await tx.emit(event, correlation_id=request.get("incident_id") or request["_id"])
        shown = ("state", "approvals", "valid_from", "valid_until", "ended_by", "end_reason", "denied_by")
        tx.audit(before={k: request.get(k) for k in shown}, after={k: fields.get(k, request.get(k)) for k in shown})
        return True

    if not await kit.uow.run(work):
        raise Moved(request["_id"])
    return {**request, **fields}


async def open_request(kit: Kit, deps: AccessDeps, body: AccessRequestCreate, site: Document, by: str) -> Document:
    """A new request, kept and announced: waiting for the hospital's approvers, or granted at once with its
    certificate when a standing rule of the contract covers it, and the hospital told. NotAllowed when the contract
    cannot authorise it."""
    at = now()
    incident = await deps.incidents.get(body.incident_id) if body.incident_id else None
    request = grants.new_request(body, site, by, at, standing.rule_for(body, site, incident, at))
    request = await with_certificate(deps, request, request)
    asked = RemoteAccessRequested(request_id=request["_id"], site_id=body.site_id, incident_id=body.incident_id,
                                  visit_id=body.visit_id, campaign_id=body.campaign_id, level=body.level.value,
                                  hosts=tuple(body.hosts), requested_by=by, requested_at=at)  # fmt: skip
    events: list[Event] = [asked]
    if request["state"] == AccessState.granted.value:
        events += [granted_event(request), standing_notice(request)]
    else:
        events += approval_notices(deps, request, at)

    async def add(tx: Tx) -> None:
        await deps.requests.add(request, tx.session)
        for event in events:
            await tx.emit(event, correlation_id=body.incident_id or request["_id"])
        shown = ("state", "standing_rule", "valid_from", "valid_until")
        tx.audit(after={"request_id": request["_id"], "site_id": body.site_id, "hosts": body.hosts,
                        "level": body.level.value, "duration": body.duration, "purpose": body.purpose,
                        **{k: request.get(k) for k in shown}})  # fmt: skip

    await kit.uow.run(add)
    return request


def standing_notice(request: Document) -> HospitalNotice:
    """Telling the hospital's access contacts of a grant no one there approved: what, for whom, until when."""
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    facts = {"rule": f"standing rule {request['standing_rule']} of the contract", "level": request["level"],
             "hosts": " ".join(request["hosts"])[:100], "engineer": request["requested_by"],
             "from": request["valid_from"].strftime(stamp), "until": request["valid_until"].strftime(stamp),
             **({"incident": request["incident_id"]} if request.get("incident_id") else {})}  # fmt: skip
    return HospitalNotice(notice_id=f"{request['_id']}.granted", site_id=request["site_id"], role="access",
                          topic="remote_access.granted_at_once", reference=request["_id"],
                          expires_at=request["valid_until"], facts=facts)  # fmt: skip


def approval_notices(deps: AccessDeps, request: Document, at: datetime) -> list[HospitalNotice]:
    """Each approver named on the contract is e-mailed the signed link that names them (if they are among the
    hospital's access contacts; the hospital's own systems may also fetch the links with its key)."""
    facts = {"level": request["level"], "hosts": " ".join(request["hosts"])[:100],
             "engineer": request["requested_by"], "duration": request["duration"],
             **({"incident": request["incident_id"]} if request.get("incident_id") else {})}  # fmt: skip
    notices = []
    for n, approver in enumerate(request["approvers"], start=1):
        url, expires = approval_link(deps, request, approver, at)
        notices.append(HospitalNotice(notice_id=f"{request['_id']}.ask.{n}", site_id=request["site_id"],
                                      role="access", topic="access.approval_requested", reference=request["_id"],
                                      link=url, expires_at=expires, facts=facts, contact=approver))  # fmt: skip
    return notices


async def with_certificate(deps: AccessDeps, request: Document, fields: dict[str, Any]) -> dict[str, Any]:
    """A grant's fields with its certificate: the hosts as principals, the grant's window, a fresh serial."""
    if fields.get("state") != "granted":
        return fields
    serial = await deps.serials.next()
    certificate = await deps.ca.sign(request["public_key"], f"{request['_id']} {request['requested_by']}",
                                     request["hosts"], fields["valid_from"], fields["valid_until"], serial)  # fmt: skip
    return {**fields, "certificate_serial": serial, "certificate": certificate}


def granted_event(request: Document) -> RemoteAccessGranted:
    return RemoteAccessGranted(request_id=request["_id"], site_id=request["site_id"],
                               incident_id=request.get("incident_id"),
                               approvers=tuple(a["name"] for a in request["approvals"]),
                               valid_from=request["valid_from"], valid_until=request["valid_until"])  # fmt: skip


def denied_event(request: Document) -> RemoteAccessDenied:
    return RemoteAccessDenied(request_id=request["_id"], site_id=request["site_id"],
                              incident_id=request.get("incident_id"), denied_by=request["denied_by"],
                              denied_at=request["denied_at"])  # fmt: skip


def ended_event(request: Document) -> RemoteAccessEnded:
    return RemoteAccessEnded(request_id=request["_id"], site_id=request["site_id"],
                             incident_id=request.get("incident_id"), ended_at=request["ended_at"],
                             ended_by=request["ended_by"], reason=request["end_reason"],
                             revoked=bool(request.get("revoked")))  # fmt: skip


def _links(deps: AccessDeps) -> SignedLinks:
    return SignedLinks(deps.settings, LINK_AUDIENCE, "/api/v1/remote-access/approvals")


def approval_link(deps: AccessDeps, request: Document, approver: str, now: datetime) -> tuple[str, datetime]:
    """A signed link naming one approver of one request, valid for a day."""
    expires = now + timedelta(hours=LINK_HOURS)
    return _links(deps).url(request["_id"], now, expires, approver=approver), expires


def read_link(deps: AccessDeps, token: str) -> tuple[str, str]:
    """(request id, approver) of a link this service signed that has not expired; jwt.PyJWTError otherwise."""
    claims = _links(deps).read(token, "approver")
    return str(claims["sub"]), str(claims["approver"])


def now() -> datetime:
    return datetime.now(UTC)
