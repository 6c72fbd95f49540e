"""A maintenance window from the scheduler ends: breaches on its host are published again, one still firing at its
next observation."""

from __future__ import annotations

from pacs_contracts.events import MaintenanceEnded
from pacs_kit.uow import Tx
from pacs_monitoring.deps import MonitoringDeps


async def handle(event: MaintenanceEnded, *, tx: Tx, deps: MonitoringDeps) -> None:
    await deps.maintenance.end(event.window_id, tx.session)
