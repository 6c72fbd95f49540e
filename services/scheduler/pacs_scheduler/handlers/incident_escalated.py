from __future__ import annotations

from pacs_contracts.events import IncidentEscalated
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: IncidentEscalated, *, tx: Tx, deps: SchedulerDeps) -> None:
    step = {"from_tier": event.from_tier.value, "to_tier": event.to_tier.value, "escalated_at": event.escalated_at,
            "reason": event.reason}  # fmt: skip
    deps.facts.note_on_commit(tx, event.incident_id, event.site_id, add={"escalations": step})
