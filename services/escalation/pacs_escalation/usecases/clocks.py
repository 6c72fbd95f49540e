"""Sweeping the contract clocks: breach and escalate the incidents whose next clock check has come.

jobs/pace_clocks.py runs a sweep at each tick and between ticks; each sweep is one transaction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pacs_contracts.events import Event, IncidentEscalated, SlaBreached
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain.roster import OnCall
from pacs_escalation.domain.sla import Decision, evaluate
from pacs_escalation.usecases.on_call import who_takes
from pacs_kit.uow import Tx

BATCH = 500  # a sweep that finds more sweeps again at once
WINDOW = timedelta(seconds=5)  # deadlines one sweep reads at most, from the floor on


@dataclass
class Plan:
    """The updates and events of one sweep, written in one round trip each."""

    updates: list[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    events: list[tuple[Event, str]] = field(default_factory=list)
    on_call: dict[tuple[str, str], OnCall | None] = field(default_factory=dict)  # one look-up per region and tier
    escalated: list[tuple[str, str]] = field(default_factory=list)  # (incident, tier reached) to be filed


async def sweep(now: datetime, tx: Tx, deps: EscalationDeps) -> bool:
    """Breach and escalate what is due by `now`; True when more may be due than this sweep took.

    A sweep reads a window of deadlines from the instance's floor (everything earlier is done),
    so its cost follows the window, not how far behind the clocks are. The first sweep of an
    instance has no floor and reads all that is due.
    """
    floor = deps.clocks.at
    until = now if floor is None else min(now, floor + WINDOW)
    due = await deps.incidents.due(deps.clocks.since(), until, BATCH, tx.session)
    plan = Plan()
    for incident in due:
        await _plan(incident, evaluate(incident, now), now, deps, plan, tx)
    await deps.incidents.apply_clocks(plan.updates, tx.session)
    await deps.filing.queue(plan.escalated, now, tx.session)
    for change, correlation_id in plan.events:
        await tx.emit(change, correlation_id=correlation_id)
    full = len(due) >= BATCH
    # where the next sweep starts, once this one has committed
    reached = due[-1]["next_check_at"] if full else until
    tx.after_commit.append(functools.partial(deps.clocks.advance, reached))
    return full or until < now


async def _plan(incident: dict[str, Any], decision: Decision, now: datetime, deps: EscalationDeps, plan: Plan,
                tx: Tx) -> None:  # fmt: skip
    fields: dict[str, Any] = {"next_check_at": decision.next_check_at}
    entries: list[dict[str, Any]] = []
    correlation_id = incident.get("fault_id") or incident["_id"]
    if decision.breaches:
        fields["breached_clocks"] = [*incident.get("breached_clocks", []), *(c for c, _ in decision.breaches)]
    for clock, deadline in decision.breaches:
        entries.append({"at": now, "what": "sla_breached", "clock": clock, "deadline": deadline})
        plan.events.append((SlaBreached(incident_id=incident["_id"], site_id=incident["site_id"], clock=clock,
                                        deadline=deadline, breached_at=now), correlation_id))  # fmt: skip
    tier, assignee = incident["tier"], incident["assignee_id"]
    for step in decision.steps:
        key = (incident["region"], step.tier.value)
        if key not in plan.on_call:
            plan.on_call[key] = await who_takes(deps.rosters, deps.engineers, *key, now, tx.session)
        found = plan.on_call[key]
        new_assignee = found.engineer_id if found else assignee
        reason = f"unsolved after {step.after} of contract time"
        if found is not None and found.note:
            reason += f"; {found.note}, so {found.engineer_id} ({found.source}) takes it"
        if found is None:
            reason += f"; nobody is on call for {step.tier.value} in {incident['region']}, owner unchanged"
        entries.append({"at": now, "what": "escalated", "from": tier, "to": step.tier.value,
                        "assignee_id": new_assignee, "reason": reason})  # fmt: skip
        plan.events.append((IncidentEscalated(
            incident_id=incident["_id"], site_id=incident["site_id"], from_tier=tier, to_tier=step.tier,
            previous_assignee_id=assignee, assignee_id=new_assignee, reason=reason, escalated_at=now,
        ), correlation_id))  # fmt: skip
        tier, assignee = step.tier.value, new_assignee
    fields |= {"tier": tier, "assignee_id": assignee}
    if decision.steps:
        plan.escalated.append((incident["_id"], tier))
    plan.updates.append((incident, fields, entries))
