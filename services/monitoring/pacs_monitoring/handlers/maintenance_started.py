"""A maintenance window from the scheduler begins: while it runs, breaches on its host (or its whole site) are held,
not published."""

from __future__ import annotations

from pacs_contracts.events import MaintenanceStarted
from pacs_kit.uow import Tx
from pacs_monitoring.deps import MonitoringDeps


async def handle(event: MaintenanceStarted, *, tx: Tx, deps: MonitoringDeps) -> None:
    window = {"_id": event.window_id, "site_id": event.site_id, "host": event.host, "ends_at": event.ends_at}
    await deps.maintenance.start(window, tx.session)
