from __future__ import annotations

from pacs_contracts.events import IncidentReopened
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: IncidentReopened, *, tx: Tx, deps: SchedulerDeps) -> None:
    """Counted as reopened; unsolved again unless a later resolution already arrived."""
    await deps.facts.note(event.incident_id, event.site_id, tx.session, add={"reopened": event.reopened_at})
    await deps.facts.unsolve(event.incident_id, event.reopened_at, tx.session)
