"""Incidents: opened from a fault at L1 (or the tier a platform service asks for), owned by the site's account
engineer (or that tier's on-call), on a contract clock."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pacs_contracts.api import IncidentPublic
from pacs_contracts.common import Channel, Tier, parse_duration
from pacs_contracts.events import FaultReported, IncidentOpened, MetricBreached
from pacs_escalation.domain.lifecycle import State, allowed
from pacs_escalation.domain.roster import OnCall
from pacs_escalation.domain.sla import evaluate, upcoming
from pacs_escalation.domain.terms import calendar_for, entitlement
from pacs_kit.documents import model_of

SUMMARY_MAX = 200  # what an incident event carries (ShortText); a long code and equipment id are cut to fit


def _new(site: dict[str, Any], severity: str, summary: str, now: datetime, *, tier: Tier = Tier.L1,
         assignee_id: str | None = None, **origin: Any) -> dict[str, Any]:  # fmt: skip
    """A new incident at `tier`, owned by `assignee_id` (by default the account engineer); the contract terms in
    force are frozen onto it."""
    terms = dict(site["contract"])
    owner = assignee_id or site["account_engineer_id"]
    calendar = calendar_for(terms, now)
    incident = {
        "_id": f"INC-{uuid.uuid4().hex[:16].upper()}",
        "site_id": site["_id"],
        "region": site["region"],
        "fault_id": None,
        "state": State.opened.value,
        "tier": tier.value,
        "assignee_id": owner,
        "severity": severity,
        "summary": summary if len(summary) <= SUMMARY_MAX else summary[: SUMMARY_MAX - 1] + "…",
        "terms": terms,
        "entitlement": entitlement(terms, now),
        "opened_at": now,
        "response_due": calendar.add(now, parse_duration(terms["response"])),
        "pauses": [],
        "timeline": [{"at": now, "what": "opened", "tier": tier.value, "assignee_id": owner}],
        **origin,
    }
    incident["next_check_at"] = evaluate(incident, now).next_check_at
    return incident


def channel_of(fault: FaultReported) -> str | None:
    """The fault's source as the incident's channel (his, call, pm); a source this service does not know still
    opens the incident, without a channel, rather than losing the fault."""
    return fault.source if fault.source in {Channel.his, Channel.call, Channel.pm} else None


def start_tier(fault: FaultReported) -> Tier:
    """The tier the fault's incident opens at: L1, unless a platform service asked for a higher one."""
    return list(Tier)[fault.start_tier - 1] if fault.start_tier else Tier.L1


def open_from_fault(fault: FaultReported, site: dict[str, Any], now: datetime,
                    on_call: OnCall | None = None) -> dict[str, Any]:  # fmt: skip
    """The fault's incident, at its start tier: above L1 its on-call engineer takes it, as the ladder's step to that
    tier would hand it over (nobody on call: the account engineer keeps it). The ladder climbs on from there."""
    summary = fault.code + (f" on {fault.equipment_id}" if fault.equipment_id else "")
    tier = start_tier(fault)
    incident = _new(site, fault.severity.value, summary, now, tier=tier,
                    assignee_id=on_call.engineer_id if on_call else None, fault_id=fault.fault_id, source="fault",
                    channel=channel_of(fault), description=fault.description, occurrences=1)  # fmt: skip
    if tier != Tier.L1:
        reason = f"the fault asks to open at {tier.value}"
        if on_call is None:
            reason += f"; nobody is on call for {tier.value} in {site['region']}, the account engineer takes it"
        elif on_call.note:
            reason += f"; {on_call.note}, so {on_call.engineer_id} ({on_call.source}) takes it"
        incident["timeline"][0]["reason"] = reason
    return incident


def problem_key(site_id: str, problem_class: str) -> str:
    """One open incident per site and problem, however many breaches report it."""
    return f"{site_id}|{problem_class}"


def open_from_breach(breach: MetricBreached, site: dict[str, Any], now: datetime) -> dict[str, Any]:
    incident = _new(
        site, breach.severity.value, f"{breach.rule} on {breach.host}", now,
        source="monitoring", channel=Channel.monitoring.value,
        open_problem_key=problem_key(breach.site_id, breach.problem_class), problem_class=breach.problem_class,
        occurrences=1,
        description=f"{breach.problem_class}: {breach.rule} on {breach.host} at {breach.value:g}, "
                    f"threshold {breach.threshold:g}"
                    + (f"; predicted to run out on {breach.exhausted_at:%Y-%m-%d}" if breach.exhausted_at else ""),
    )  # fmt: skip
    incident["timeline"].append(breach_entry(breach, now))
    return incident


def breach_entry(breach: MetricBreached, now: datetime) -> dict[str, Any]:
    return {"at": now, "what": "metric_breached", "host": breach.host, "rule": breach.rule, "value": breach.value,
            "threshold": breach.threshold}  # fmt: skip


def opened_event(incident: dict[str, Any]) -> IncidentOpened:
    return model_of(IncidentOpened, incident, id_as="incident_id")


def public(incident: dict[str, Any]) -> IncidentPublic:
    ahead = upcoming(incident)
    return model_of(IncidentPublic, incident, id_as="incident_id", on_site_due=ahead.on_site_due,
                    next_tier=ahead.next_tier, next_tier_at=ahead.next_tier_at,
                    actions=[action.value for action in allowed(State(incident["state"]))])  # fmt: skip
