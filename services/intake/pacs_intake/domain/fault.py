"""A reported fault: built from a HIS post or a logged call; its state follows the incident."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from pacs_contracts.api import CallCreate, FaultCreate, FaultPublic
from pacs_contracts.common import FaultSource
from pacs_contracts.events import FaultReported
from pacs_kit.documents import model_of

RECEIVED, INCIDENT_OPENED = "received", "incident_opened"
TRANSITIONS = {(RECEIVED, "incident.opened"): INCIDENT_OPENED}


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16].upper()}"


def fingerprint(body: FaultCreate) -> str:
    """What makes two posts with one external_ref the same request."""
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def from_his(body: FaultCreate, now: datetime) -> dict[str, Any]:
    return {
        "_id": new_id("F"),
        "site_id": body.site_id,
        "source": FaultSource.his.value,
        "external_ref": body.external_ref,
        "fingerprint": fingerprint(body),
        "code": body.code,
        "severity": body.severity.value,
        "equipment_id": body.equipment_id,
        "description": body.description,
        "occurred_at": body.occurred_at,
        "status": RECEIVED,
        "incident_id": None,
        "received_at": now,
    }


def from_call(body: CallCreate, call_id: str, now: datetime) -> dict[str, Any]:
    return {
        "_id": new_id("F"),
        "site_id": body.site_id,
        "source": FaultSource.call.value,
        "external_ref": call_id,
        "fingerprint": None,
        "code": body.code,
        "severity": body.severity.value,
        "equipment_id": body.equipment_id,
        "description": body.description,
        "occurred_at": None,
        "status": RECEIVED,
        "incident_id": body.incident_id,
        "received_at": now,
    }


def next_status(status: str, event_type: str) -> str:
    """The fault's status after an event; unknown pairs leave it as it is."""
    return TRANSITIONS.get((status, event_type), status)


def reported_event(fault: dict[str, Any]) -> FaultReported:
    by_call = fault["source"] == FaultSource.call.value  # a call may name the open incident it is about
    return model_of(FaultReported, fault, id_as="fault_id", reported_at=fault["received_at"],
                    incident_id=fault.get("incident_id") if by_call else None)  # fmt: skip


def public(fault: dict[str, Any]) -> FaultPublic:
    return model_of(FaultPublic, fault, id_as="fault_id")
