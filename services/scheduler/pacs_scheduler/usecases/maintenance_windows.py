"""A maintenance window moves state once, whoever moves it: the job on time, or a planner ending it early."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pacs_contracts.events import Event
from pacs_kit.uow import Tx

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps


async def move(kit: Kit, deps: SchedulerDeps, window: dict[str, Any], fields: dict[str, Any], event: Event) -> bool:
    """Apply `fields` (the new state among them) and publish `event`, unless someone moved the window first."""

    async def work(tx: Tx) -> bool:
        if not await deps.windows.move(window["_id"], window["state"], fields, tx.session):
            return False
        await tx.emit(event, correlation_id=window["_id"])
        return True

    return await kit.uow.run(work)
