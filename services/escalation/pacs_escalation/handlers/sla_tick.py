"""On every tick: breach and escalate the incidents whose next clock check has come."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pacs_contracts.events import IncidentEscalated, SlaBreached, SlaTick
from pacs_escalation.adapters.oncall import who_takes
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain.sla import Decision, evaluate
from pacs_kit.uow import Tx

BATCH = 500  # a tick that finds more leaves the rest to the next one, a second later


async def handle(event: SlaTick, *, tx: Tx, deps: EscalationDeps) -> None:
    for incident in await deps.incidents.due(event.at, BATCH, tx.session):
        await _act_on(incident, evaluate(incident, event.at), event.at, tx, deps)


async def _act_on(incident: dict[str, Any], decision: Decision, now: datetime, tx: Tx, deps: EscalationDeps) -> None:
    fields: dict[str, Any] = {"next_check_at": decision.next_check_at}
    entries: list[dict[str, Any]] = []
    events: list[Any] = []
    if decision.breaches:
        fields["breached_clocks"] = [*incident.get("breached_clocks", []), *(c for c, _ in decision.breaches)]
    for clock, deadline in decision.breaches:
        entries.append({"at": now, "what": "sla_breached", "clock": clock, "deadline": deadline})
        events.append(SlaBreached(incident_id=incident["_id"], site_id=incident["site_id"], clock=clock,
                                  deadline=deadline, breached_at=now))  # fmt: skip
    tier, assignee = incident["tier"], incident["assignee_id"]
    for step in decision.steps:
        found = await who_takes(deps.rosters, deps.engineers, incident["region"], step.tier.value, now, tx.session)
        new_assignee = found.engineer_id if found else assignee
        reason = f"unsolved after {step.after} of contract time"
        if found is None:
            reason += f"; nobody is on call for {step.tier.value} in {incident['region']}, owner unchanged"
        entries.append({"at": now, "what": "escalated", "from": tier, "to": step.tier.value,
                        "assignee_id": new_assignee, "reason": reason})  # fmt: skip
        events.append(IncidentEscalated(
            incident_id=incident["_id"], site_id=incident["site_id"], from_tier=tier, to_tier=step.tier,
            previous_assignee_id=assignee, assignee_id=new_assignee, reason=reason, escalated_at=now,
        ))  # fmt: skip
        tier, assignee = step.tier.value, new_assignee
    fields |= {"tier": tier, "assignee_id": assignee}
    if not await deps.incidents.apply_clock(incident, fields, entries, tx.session):
        return  # an action or another tick changed it first; the next tick sees the new state
    for event in events:
        await tx.emit(event, correlation_id=incident.get("fault_id") or incident["_id"])
