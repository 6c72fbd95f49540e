"""A maintenance window ended: its planned time stops there. An end heard before its start is kept, and the start
completes the window when it comes."""

from datetime import UTC, datetime

from pacs_contracts.events import MaintenanceEnded
from pacs_escalation.deps import EscalationDeps
from pacs_kit.uow import Tx


async def handle(event: MaintenanceEnded, *, tx: Tx, deps: EscalationDeps) -> None:
    if event.host is None:
        await deps.windows.ended(event.window_id, event.site_id, event.ended_at or datetime.now(UTC), tx.session)
