from __future__ import annotations

from pacs_contracts.events import IncidentAcknowledged
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: IncidentAcknowledged, *, tx: Tx, deps: SchedulerDeps) -> None:
    fields = {"acknowledged_at": event.acknowledged_at, "ack_minutes": event.contract_minutes}
    deps.facts.note_on_commit(tx, event.incident_id, event.site_id, fields=fields)
