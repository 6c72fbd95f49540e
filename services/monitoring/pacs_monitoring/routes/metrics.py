"""Metric batches from site agents: the last sample per host and rule is evaluated.

During a maintenance window a breach on the window's hosts is recorded but held back from the
bus; if it is still firing when the window has ended, the next sample tells it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from fastapi import APIRouter

from pacs_contracts.api import MetricBatch, MetricBatchAccepted, MetricSample
from pacs_contracts.events import MetricBreached, MetricRecovered
from pacs_kit.deps import KitDep, SiteKey
from pacs_kit.uow import Tx
from pacs_monitoring.adapters.repository import state_id
from pacs_monitoring.deps import DepsDep
from pacs_monitoring.domain.rules import RULES, Change, State, ThresholdRule, evaluate

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


def _latest(batch: MetricBatch) -> dict[str, tuple[ThresholdRule, MetricSample]]:
    """Per state id, the newest sample a rule applies to (one database round trip per batch, not per sample)."""
    by_metric = {rule.metric: rule for rule in RULES}
    latest: dict[str, tuple[ThresholdRule, MetricSample]] = {}
    for sample in batch.samples:
        rule = by_metric.get(sample.name)
        if rule is not None:
            latest[state_id(batch.site_id, sample.host, rule.name)] = (rule, sample)
    return latest


@router.post("", status_code=202, response_model=MetricBatchAccepted, summary="Accept a batch of samples")
async def accept_batch(batch: MetricBatch, principal: SiteKey, deps: DepsDep, kit: KitDep) -> MetricBatchAccepted:
    principal.act_for_site(batch.site_id)
    latest = _latest(batch)
    now = datetime.now(UTC)

    async def evaluate_all(tx: Tx) -> Counter[str]:
        states = await deps.states.for_ids(list(latest), tx.session)
        held_hosts = await deps.maintenance.hosts_held(batch.site_id, tx.session)
        counts: Counter[str] = Counter()
        for sid, (rule, sample) in latest.items():
            saved = states.get(sid, {})
            current = State(saved.get("state", State.ok))
            announced = saved.get("announced", True)  # whether the bus was told of the current state
            held = None in held_hosts or sample.host in held_hosts
            new_state, change = evaluate(rule, current, sample.value)
            if change is Change.none:
                # a breach held through a maintenance window that is still firing afterwards is told now
                if not (current is State.firing and not announced and not held):
                    continue
                change = Change.breached
            if change is Change.breached:
                tell = not held
                counts["breaches" if tell else "held"] += 1
            else:
                tell = announced  # a recovery is news only where the breach was
                counts["recoveries"] += tell
            doc = {
                "_id": sid,
                "site_id": batch.site_id,
                "host": sample.host,
                "rule": rule.name,
                "state": new_state.value,
                "announced": tell or new_state is State.ok,
                "value": sample.value,
                "changed_at": now,
            }
            await deps.states.save(doc, tx.session)
            if not tell:
                continue
            event: MetricBreached | MetricRecovered = (
                MetricBreached(site_id=batch.site_id, host=sample.host, rule=rule.name,
                               problem_class=rule.problem_class, severity=rule.severity, value=sample.value,
                               threshold=rule.threshold, breached_at=now)
                if change is Change.breached
                else MetricRecovered(site_id=batch.site_id, host=sample.host, rule=rule.name, value=sample.value,
                                     recovered_at=now)
            )  # fmt: skip
            await tx.emit(event, correlation_id=sid)
        return counts

    counts = await kit.uow.run(evaluate_all) if latest else Counter[str]()
    return MetricBatchAccepted(
        accepted=len(batch.samples), breaches=counts["breaches"], recoveries=counts["recoveries"], held=counts["held"]
    )
