from __future__ import annotations

from pacs_contracts.events import MetricRecovered
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: MetricRecovered, *, tx: Tx, deps: SchedulerDeps) -> None:
    """The breach it ends is over: how long a DICOM node was down is counted from the two."""
    await deps.metrics.recovered(event.site_id, event.host, event.rule, event.recovered_at, tx.session)
