"""A maintenance window agreed with the hospital began: downtime inside a whole-site window is planned, not charged
to the contract. A window on one host does not plan the whole system down, so it is not kept."""

from datetime import UTC, datetime

from pacs_contracts.events import MaintenanceStarted
from pacs_escalation.deps import EscalationDeps
from pacs_kit.uow import Tx


async def handle(event: MaintenanceStarted, *, tx: Tx, deps: EscalationDeps) -> None:
    if event.host is None:
        started_at = event.started_at or datetime.now(UTC)
        await deps.windows.started(event.window_id, event.site_id, started_at, event.ends_at, tx.session)
