"""PM visits moved on time (pm.due, pm.overdue), each once across instances.

Like maintenance windows, every instance checks twice a second and moves a visit with a guarded
write in the same transaction as its event, so a second instance, a restart or a retry never
publishes it twice, and a visit that came due while the scheduler was down is told at once. When
a visit is told, the plan is topped up so `ahead` visits stay planned.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pacs_contracts.api import PmStatus
from pacs_contracts.events import Event
from pacs_kit.loop import WorkLoop
from pacs_kit.mongo import Document
from pacs_kit.uow import Tx
from pacs_scheduler.domain import pm
from pacs_scheduler.usecases.pm_plans import top_up

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

CHECK_SECONDS = 0.5
BATCH = 100


async def move(kit: Kit, deps: SchedulerDeps, visit: Document, fields: dict[str, Any], event: Event) -> bool:
    async def work(tx: Tx) -> bool:
        if not await deps.visits.move(visit["_id"], (visit["status"],), fields, tx.session):
            return False
        await tx.emit(event, correlation_id=visit["_id"])
        if fields["status"] == PmStatus.due.value:
            await top_up(deps, visit["site_id"], fields["notified_at"], tx)
        return True

    moved: bool = await kit.uow.run(work)
    return moved


async def step(kit: Kit, deps: SchedulerDeps) -> None:
    now = datetime.now(UTC)
    # told before overdue: a visit whose whole window passed while the scheduler was down gets both, in order
    for visit in await deps.visits.due(PmStatus.planned.value, "notify_at", now, BATCH):
        await move(kit, deps, visit, {"status": PmStatus.due.value, "notified_at": now}, pm.due_event(visit))
    for visit in await deps.visits.due(PmStatus.due.value, "overdue_at", now, BATCH):
        await move(kit, deps, visit, {"status": PmStatus.overdue.value, "overdue_since": now},
                   pm.overdue_event(visit))  # fmt: skip


async def announce_pm_visits(kit: Kit, deps: SchedulerDeps) -> None:
    """Twice a second; while the database is away the visits wait and are moved once it is back."""
    await WorkLoop.every("PM visits", CHECK_SECONDS, lambda: step(kit, deps)).run()
