from __future__ import annotations

from pacs_contracts.events import SlaBreached
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: SlaBreached, *, tx: Tx, deps: SchedulerDeps) -> None:
    breach = {"clock": event.clock, "deadline": event.deadline, "breached_at": event.breached_at}
    deps.facts.note_on_commit(tx, event.incident_id, event.site_id, add={"breaches": breach})
