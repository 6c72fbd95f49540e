"""Starts and ends maintenance windows on time, each once, whichever scheduler instance gets there first.

Every instance checks twice a second; a window moves state with a guarded write in the same
transaction as its event (the outbox), so a second instance, a restart or a retry never publishes
it twice, and a window that came due while the scheduler was down is started (or ended) at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pacs_kit.loop import WorkLoop
from pacs_scheduler.domain.maintenance import ACTIVE, ENDED, SCHEDULED, ended, started
from pacs_scheduler.usecases.maintenance_windows import move

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

CHECK_SECONDS = 0.5
BATCH = 100


async def step(kit: Kit, deps: SchedulerDeps) -> None:
    now = datetime.now(UTC)
    # starts before ends: a window whose whole span passed while the scheduler was down starts, then ends
    for window in await deps.windows.due(SCHEDULED, "starts_at", now, BATCH):
        await move(kit, deps, window, {"state": ACTIVE, "started_at": now}, started(window, now))
    for window in await deps.windows.due(ACTIVE, "ends_at", now, BATCH):
        await move(kit, deps, window, {"state": ENDED, "ended_at": now}, ended(window, now))


async def start_and_end_windows(kit: Kit, deps: SchedulerDeps) -> None:
    """Twice a second; while the database is away the windows wait and are moved once it is back."""
    await WorkLoop.every("maintenance windows", CHECK_SECONDS, lambda: step(kit, deps)).run()
