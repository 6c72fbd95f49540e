from __future__ import annotations

from pacs_contracts.events import MetricBreached
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: MetricBreached, *, tx: Tx, deps: SchedulerDeps) -> None:
    """One document per breach, keyed by what it is about and when, so a redelivery changes nothing."""
    key = f"{event.site_id}|{event.host}|{event.rule}|{event.breached_at.isoformat()}"
    await deps.metrics.keep({"_id": key, "site_id": event.site_id, "host": event.host, "rule": event.rule,
                             "problem_class": event.problem_class, "severity": event.severity.value,
                             "value": event.value, "threshold": event.threshold, "breached_at": event.breached_at,
                             "exhausted_at": event.exhausted_at}, tx.session)  # fmt: skip
