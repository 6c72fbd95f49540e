"""Incidents reach the scheduler's review facts as events: what the review counts, never the incident itself."""

from __future__ import annotations

from pacs_contracts.events import IncidentOpened
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: IncidentOpened, *, tx: Tx, deps: SchedulerDeps) -> None:
    fields = {"opened_at": event.opened_at, "severity": event.severity.value, "summary": event.summary,
              "channel": event.channel.value if event.channel else None, "problem_class": event.problem_class,
              "response_due": event.response_due, "fault_id": event.fault_id,
              "opened_tier": event.tier.value}  # fmt: skip
    deps.facts.note_on_commit(tx, event.incident_id, event.site_id, fields=fields)
