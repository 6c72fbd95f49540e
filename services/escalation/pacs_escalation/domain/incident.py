"""Incidents: opened from a fault at L1, owned by the site's account engineer, on a contract clock."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pacs_contracts.api import IncidentPublic
from pacs_contracts.common import Tier, parse_duration
from pacs_contracts.events import FaultReported, IncidentOpened
from pacs_escalation.domain.lifecycle import State
from pacs_escalation.domain.sla import evaluate
from pacs_escalation.domain.terms import calendar_for, entitlement


def open_from_fault(fault: FaultReported, site: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new incident at L1; the contract terms in force are frozen onto it."""
    terms = dict(site["contract"])
    calendar = calendar_for(terms, now)
    incident = {
        "_id": f"INC-{uuid.uuid4().hex[:16].upper()}",
        "site_id": fault.site_id,
        "region": site["region"],
        "fault_id": fault.fault_id,
        "state": State.opened.value,
        "tier": Tier.L1.value,
        "assignee_id": site["account_engineer_id"],
        "severity": fault.severity.value,
        "summary": f"{fault.code}" + (f" on {fault.equipment_id}" if fault.equipment_id else ""),
        "terms": terms,
        "entitlement": entitlement(terms, now),
        "opened_at": now,
        "response_due": calendar.add(now, parse_duration(terms["response"])),
        "pauses": [],
        "timeline": [{"at": now, "what": "opened", "tier": Tier.L1.value, "assignee_id": site["account_engineer_id"]}],
    }
    incident["next_check_at"] = evaluate(incident, now).next_check_at
    return incident


def opened_event(incident: dict[str, Any]) -> IncidentOpened:
    return IncidentOpened(
        incident_id=incident["_id"],
        site_id=incident["site_id"],
        fault_id=incident["fault_id"],
        tier=incident["tier"],
        assignee_id=incident["assignee_id"],
        severity=incident["severity"],
        summary=incident["summary"],
        opened_at=incident["opened_at"],
    )


def public(incident: dict[str, Any]) -> IncidentPublic:
    return IncidentPublic(
        incident_id=incident["_id"],
        site_id=incident["site_id"],
        fault_id=incident["fault_id"],
        state=incident["state"],
        tier=incident["tier"],
        assignee_id=incident["assignee_id"],
        severity=incident["severity"],
        summary=incident["summary"],
        opened_at=incident["opened_at"],
        response_due=incident["response_due"],
        acknowledged_at=incident.get("acknowledged_at"),
        resolved_at=incident.get("resolved_at"),
    )
