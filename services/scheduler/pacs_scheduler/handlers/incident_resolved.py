from __future__ import annotations

from pacs_contracts.events import IncidentResolved
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: IncidentResolved, *, tx: Tx, deps: SchedulerDeps) -> None:
    """The last resolution counts: a reopened incident resolved again replaces what the first one said, and a
    resolution heard late (after a later one, or after the reopening that undid it) changes nothing."""
    fields = {"resolved_at": event.resolved_at, "resolve_minutes": event.contract_minutes,
              "caused_by": event.caused_by, "down_from": event.down_from, "product": event.product,
              "module": event.module}  # fmt: skip
    await deps.facts.resolved(event.incident_id, event.site_id, fields, tx.session)
