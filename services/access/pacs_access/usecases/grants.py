"""Moving a request along, shared by the routes (people) and the job (the clock): each move is guarded, audited,
and announced in the same transaction; a grant gets its certificate as it is granted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pacs_access.deps import AccessDeps
from pacs_contracts.events import Event, RemoteAccessDenied, RemoteAccessEnded, RemoteAccessGranted
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
