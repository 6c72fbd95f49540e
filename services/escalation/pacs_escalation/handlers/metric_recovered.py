"""A recovery is recorded on the open incident for its problem; closing it stays an engineer's call."""

from datetime import UTC, datetime

from pacs_contracts.events import MetricRecovered
from pacs_escalation.deps import EscalationDeps
from pacs_kit.uow import Tx


async def handle(event: MetricRecovered, *, tx: Tx, deps: EscalationDeps) -> None:
    entry = {"at": datetime.now(UTC), "what": "metric_recovered", "host": event.host, "rule": event.rule,
             "value": event.value}  # fmt: skip
    incident = await deps.incidents.open_for_rule(event.site_id, event.host, event.rule, tx.session)
    if incident is not None:
        await deps.incidents.record(incident["_id"], entry, tx.session)
