"""A site's licences reach the scheduler from monitoring: a release may need one present and not expired."""

from __future__ import annotations

from pacs_contracts.events import LicenceUpdated
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: LicenceUpdated, *, tx: Tx, deps: SchedulerDeps) -> None:
    """Keep the licence as reported, unless a report made later is kept already."""
    doc = {"_id": f"{event.site_id}|{event.licence}", "site_id": event.site_id, "licence": event.licence,
           "capacity": event.capacity, "used": event.used, "expires_at": event.expires_at,
           "reported_at": event.reported_at}  # fmt: skip
    await deps.licences.keep_latest(doc, tx.session)
