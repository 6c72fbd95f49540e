"""Maintenance windows from the scheduler: while one runs, breaches on its hosts are held, not published."""

from __future__ import annotations

from pacs_contracts.events import MaintenanceEnded, MaintenanceStarted
from pacs_kit.uow import Tx
from pacs_monitoring.deps import MonitoringDeps


async def started(event: MaintenanceStarted, *, tx: Tx, deps: MonitoringDeps) -> None:
    window = {"_id": event.window_id, "site_id": event.site_id, "host": event.host, "ends_at": event.ends_at}
    await deps.maintenance.start(window, tx.session)


async def ended(event: MaintenanceEnded, *, tx: Tx, deps: MonitoringDeps) -> None:
    await deps.maintenance.end(event.window_id, tx.session)
