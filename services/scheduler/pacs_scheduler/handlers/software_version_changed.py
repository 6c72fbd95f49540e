"""What runs where reaches the scheduler from monitoring: a release's applicability is judged on it."""

from __future__ import annotations

from pacs_contracts.events import SoftwareVersionChanged
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: SoftwareVersionChanged, *, tx: Tx, deps: SchedulerDeps) -> None:
    """Keep the component's version on that host, unless a report made later is kept already."""
    doc = {"_id": f"{event.site_id}|{event.host}|{event.component}", "site_id": event.site_id, "host": event.host,
           "component": event.component, "kind": event.kind, "installed_version": event.installed_version,
           "previous_version": event.previous_version, "reported_at": event.reported_at}  # fmt: skip
    await deps.installed.keep_latest(doc, tx.session)
