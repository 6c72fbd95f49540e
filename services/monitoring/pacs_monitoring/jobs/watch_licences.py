"""Licence expiries looked at again on a timer, so a licence nobody reports again still breaches as it nears its
end (usecases/licences.py); a report looks at its licences at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pacs_kit.loop import WorkLoop
from pacs_monitoring.usecases.licences import recheck

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_monitoring.deps import MonitoringDeps

CHECK_SECONDS = 60.0
BATCH = 200


async def watch_licences(kit: Kit, deps: MonitoringDeps) -> None:
    """While the database is away, the expiries wait; they are looked at once it is back."""

    async def once() -> bool:
        now = datetime.now(UTC)
        due = await deps.licences.due(now, BATCH)
        if due:
            await recheck(kit, deps, due, now)
        return len(due) >= BATCH

    await WorkLoop("licence expiry", once, CHECK_SECONDS).run()
