"""What each lifecycle action changes on an incident and which events it causes: pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pacs_contracts.common import Tier
from pacs_contracts.events import (
    Event,
    IncidentAcknowledged,
    IncidentEscalated,
    IncidentOnSite,
    IncidentReassigned,
    IncidentReopened,
    IncidentResolved,
)
from pacs_escalation.domain.availability import outage
from pacs_escalation.domain.lifecycle import Action, State, next_state
from pacs_escalation.domain.sla import CLOSED, contract_minutes, evaluate, upcoming


@dataclass(frozen=True)
class Change:
    guard: dict[str, Any]  # what the incident must still look like for the change to apply
    fields: dict[str, Any]
    entry: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    outage: dict[str, Any] | None = None  # for the downtime ledger, when a resolution says the system was down


def _stamp(action: Action, incident: dict[str, Any], now: datetime, actor: str, details: dict[str, Any]) -> dict:
    fields: dict[str, Any] = {}
    pauses = [dict(p) for p in incident.get("pauses", [])]
    if action is Action.acknowledge:
        fields |= {"acknowledged_at": now, "acknowledged_by": actor}
    elif action is Action.request_on_site:
        fields |= {"on_site_required_at": now}
    elif action is Action.check_in:
        fields |= {"on_site_at": now, "on_site_by": actor}
    elif action is Action.pend:
        fields |= {"resume_to": incident["state"], "pauses": [*pauses, {"from": now, "until": None}]}
    elif action is Action.resume:
        pauses[-1]["until"] = now
        fields |= {"resume_to": None, "pauses": pauses}
    elif action is Action.resolve:
        # the problem may come back as a new incident; this one keeps its history
        fields |= {"resolved_at": now, "resolved_by": actor, "resolution": details, "open_problem_key": None}
    elif action is Action.reopen:
        fields |= {"reopened_at": now, "resolved_at": None, "reopen_count": incident.get("reopen_count", 0) + 1}
    elif action is Action.close:
        fields |= {"closed_at": now}
    return fields


def _events(action: Action, incident: dict[str, Any], now: datetime, actor: str, details: dict[str, Any]) -> list:
    """The events of an action, each from the incident as it was before it (the on-site due is still running)."""
    common = {"incident_id": incident["_id"], "site_id": incident["site_id"], "engineer_id": actor}
    if action is Action.acknowledge:
        return [IncidentAcknowledged(**common, acknowledged_at=now, opened_at=incident["opened_at"],
                                     contract_minutes=contract_minutes(incident, now))]  # fmt: skip
    if action is Action.check_in:
        return [IncidentOnSite(**common, on_site_at=now, on_site_required_at=incident.get("on_site_required_at"),
                               on_site_due=upcoming(incident).on_site_due)]  # fmt: skip
    if action is Action.resolve:
        down = details.get("down_from") if details.get("whole_system_down") else None  # as the ledger counts it
        return [IncidentResolved(
            **common, caused_by=details["caused_by"], resolved_at=now, opened_at=incident["opened_at"],
            contract_minutes=contract_minutes(incident, now), down_from=down, product=details.get("product"),
            module=details.get("module"),
        )]  # fmt: skip
    if action is Action.reopen:
        return [IncidentReopened(**common, reopened_at=now)]
    return []


def apply(incident: dict[str, Any], action: Action, now: datetime, actor: str, details: dict[str, Any]) -> Change:
    """The change `action` makes, or IllegalTransition when the incident's state does not allow it."""
    current = State(incident["state"])
    paused_from = State(incident["resume_to"]) if incident.get("resume_to") else None
    target = next_state(current, action, paused_from)
    fields = {"state": target.value, **_stamp(action, incident, now, actor, details)}
    # every action can start, stop or pause a clock: when to look next follows from the new state
    fields["next_check_at"] = evaluate({**incident, **fields}, now).next_check_at
    entry = {"at": now, "what": action.value, "by": actor, "from": current.value, "to": target.value}
    if details.get("reason"):
        entry["reason"] = details["reason"]
    guard = {"state": current.value, "tier": incident["tier"]}
    down = outage(incident, details, now) if action is Action.resolve else None
    return Change(guard, fields, entry, _events(action, incident, now, actor, details), down)


class NotAllowed(ValueError):
    pass


def hand_over(incident: dict[str, Any], to_tier: Tier, assignee: str, now: datetime, actor: str, reason: str) -> Change:
    """A manual escalation (to a higher tier) or reassignment (same tier) of an open incident."""
    current = Tier(incident["tier"])
    if incident["state"] in CLOSED:
        raise NotAllowed(f"the incident is {incident['state']}; reopen it first")
    order = list(Tier)
    if order.index(to_tier) < order.index(current):
        raise NotAllowed(f"cannot escalate from {current.value} down to {to_tier.value}")
    if to_tier is current and assignee == incident["assignee_id"]:
        raise NotAllowed(f"{assignee} already owns the incident")
    fields = {"tier": to_tier.value, "assignee_id": assignee}
    fields["next_check_at"] = evaluate({**incident, **fields}, now).next_check_at
    what = "escalated" if to_tier is not current else "reassigned"
    entry = {"at": now, "what": what, "by": actor, "from": current.value, "to": to_tier.value,
             "assignee_id": assignee, "reason": reason}  # fmt: skip
    common = {"incident_id": incident["_id"], "site_id": incident["site_id"], "reason": reason,
              "previous_assignee_id": incident["assignee_id"], "assignee_id": assignee}  # fmt: skip
    event: Event = (
        IncidentEscalated(**common, from_tier=current, to_tier=to_tier, escalated_at=now)
        if to_tier is not current
        else IncidentReassigned(**common, tier=current, reassigned_at=now)
    )
    return Change({"state": incident["state"], "tier": current.value}, fields, entry, [event])
