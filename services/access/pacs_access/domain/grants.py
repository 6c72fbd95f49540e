"""Remote-access requests, pure: who must approve, when a grant starts and ends, what each step changes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pacs_contracts.api import AccessLevel, AccessRequestCreate, AccessState
from pacs_contracts.common import parse_duration

WARN_BEFORE = timedelta(minutes=10)  # the engineer is told this long before a grant ends


class NotAllowed(ValueError):
    """The request cannot be made or moved as asked; the message says why."""


def approvals_needed(level: AccessLevel) -> int:
    """A change to the hospital's system needs two of its approvers; looking and diagnosing, one."""
    return 2 if level is AccessLevel.change else 1


def new_request(body: AccessRequestCreate, site: dict[str, Any], by: str, now: datetime,
                standing_rule: int | None = None) -> dict[str, Any]:  # fmt: skip
    """A request as stored, or NotAllowed when the contract cannot authorise it; granted already when one of the
    contract's standing rules (`standing_rule`, from 1) grants it at once."""
    approvers = site.get("access_approvers") or []
    needed = approvals_needed(body.level)
    if standing_rule is None and not approvers:
        raise NotAllowed(f"the contract of {body.site_id} names no one who authorises remote access")
    if standing_rule is None and needed > len(approvers):
        raise NotAllowed(f"a {body.level.value} access needs {needed} approvers; the contract names {len(approvers)}")
    length = parse_duration(body.duration)
    cap = timedelta(minutes=site.get("access_max_minutes") or 240)
    if length <= timedelta(0) or length > cap:
        raise NotAllowed(f"duration: between a second and the contract's cap of {cap} (asked: {body.duration})")
    if body.starts_at is not None and body.starts_at < now:
        raise NotAllowed("starts_at: an agreed start cannot be in the past")
    request = {
        "_id": f"RA-{uuid.uuid4().hex[:16].upper()}", **body.model_dump(mode="python", exclude={"public_key"}),
        "public_key": body.public_key, "level": body.level.value, "requested_by": by, "requested_at": now,
        "state": AccessState.requested.value, "approvals": [], "approvals_needed": needed,
        "approvers": list(approvers),
    }  # fmt: skip
    if standing_rule is not None:
        rule = {"name": f"standing rule {standing_rule} of the contract", "at": now, "via": "standing rule",
                "credential": None}  # fmt: skip
        request |= {"approvals": [rule], "standing_rule": standing_rule, **_granted(request, now)}
    return request


def _granted(request: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The grant's window: the clock starts at the approval (or the agreed start), never at the request."""
    start = max(now, request["starts_at"]) if request.get("starts_at") else now
    until = start + parse_duration(request["duration"])
    return {"state": AccessState.granted.value, "valid_from": start, "valid_until": until,
            "warn_at": until - WARN_BEFORE}  # fmt: skip


def approve(request: dict[str, Any], name: str, via: str, now: datetime, credential: str) -> dict[str, Any]:
    """The fields an approval changes: one more approval, and the grant's window once there are enough. Two
    approvals must come from two people and two credentials: an approver's own link, or the hospital's key once."""
    if request["state"] != AccessState.requested.value:
        raise NotAllowed(f"the request is {request['state']}; only a request waiting for approval can be approved")
    if name not in request["approvers"]:
        raise NotAllowed(f"{name!r} is not named on the contract as an approver")
    if any(a["name"] == name for a in request["approvals"]):
        raise NotAllowed(f"{name} has already approved; a second approval must come from someone else")
    if any(a.get("credential") == credential for a in request["approvals"]):
        raise NotAllowed("this credential has already given an approval; the second must come through another "
                         "approver's own link")  # fmt: skip
    approvals = [*request["approvals"], {"name": name, "at": now, "via": via, "credential": credential}]
    fields: dict[str, Any] = {"approvals": approvals}
    if len(approvals) >= request["approvals_needed"]:
        fields |= _granted(request, now)
    return fields


def deny(request: dict[str, Any], name: str, reason: str | None, now: datetime) -> dict[str, Any]:
    if request["state"] != AccessState.requested.value:
        raise NotAllowed(f"the request is {request['state']}; only a request waiting for approval can be denied")
    if name not in request["approvers"]:
        raise NotAllowed(f"{name!r} is not named on the contract as an approver")
    return {"state": AccessState.denied.value, "denied_by": name, "denied_reason": reason, "denied_at": now}


def end(request: dict[str, Any], by: str, reason: str, now: datetime) -> dict[str, Any]:
    """Ending a grant early (its certificate is revoked), or withdrawing a request not yet decided."""
    if request["state"] == AccessState.requested.value:
        return {"state": AccessState.withdrawn.value, "ended_at": now, "ended_by": by, "end_reason": reason}
    if request["state"] != AccessState.granted.value:
        raise NotAllowed(f"the request is {request['state']}; there is nothing to end")
    return {"state": AccessState.ended.value, "ended_at": now, "ended_by": by, "end_reason": reason,
            "revoked": request.get("certificate_serial") is not None}  # fmt: skip
