"""Starts and ends maintenance windows on time, each once, whichever scheduler instance gets there first.

Every instance checks twice a second; a window moves state with a guarded write in the same
transaction as its event (the outbox), so a second instance, a restart or a retry never publishes
it twice, and a window that came due while the scheduler was down is started (or ended) at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pacs_contracts.events import Event
from pacs_kit.loop import WorkLoop
from pacs_kit.uow import Tx
from pacs_scheduler.domain.maintenance import ACTIVE, ENDED, SCHEDULED, ended, started

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

CHECK_SECONDS = 0.5
BATCH = 100


async def move(kit: Kit, deps: SchedulerDeps, window: dict[str, Any], fields: dict[str, Any], event: Event) -> bool:
    """Apply `fields` (the new state among them) and publish `event`, unless someone moved the window first."""

    async def work(tx: Tx) -> bool:
        if not await deps.windows.move(window["_id"], window["state"], fields, tx.session):
            return False
        await tx.emit(event, correlation_id=window["_id"])
        return True

    return await kit.uow.run(work)


async def step(kit: Kit, deps: SchedulerDeps) -> None:
    now = datetime.now(UTC)
    # starts before ends: a window whose whole span passed while the scheduler was down starts, then ends
    for window in await deps.windows.due(SCHEDULED, "starts_at", now, BATCH):
        await move(kit, deps, window, {"state": ACTIVE, "started_at": now}, started(window))
    for window in await deps.windows.due(ACTIVE, "ends_at", now, BATCH):
        await move(kit, deps, window, {"state": ENDED, "ended_at": now}, ended(window))


async def run(kit: Kit, deps: SchedulerDeps) -> None:
    """Twice a second; while the database is away the windows wait and are moved once it is back."""

    async def once() -> bool:
        await step(kit, deps)
        return False

    await WorkLoop("maintenance windows", once, CHECK_SECONDS).run()
