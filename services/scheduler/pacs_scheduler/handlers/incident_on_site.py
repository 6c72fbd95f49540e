from __future__ import annotations

from pacs_contracts.events import IncidentOnSite
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: IncidentOnSite, *, tx: Tx, deps: SchedulerDeps) -> None:
    fields = {"on_site_at": event.on_site_at, "on_site_required_at": event.on_site_required_at,
              "on_site_due": event.on_site_due}  # fmt: skip
    deps.facts.note_on_commit(tx, event.incident_id, event.site_id, fields=fields)
