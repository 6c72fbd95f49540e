"""Metric batches from site agents: the last sample per host and rule is evaluated."""

from __future__ import annotations

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

    async def evaluate_all(tx: Tx) -> tuple[int, int]:
        states = await deps.states.for_ids(list(latest), tx.session)
        breaches = recoveries = 0
        for sid, (rule, sample) in latest.items():
            current = State(states.get(sid, {}).get("state", State.ok))
            new_state, change = evaluate(rule, current, sample.value)
            if change is Change.none:
                continue
            doc = {
                "_id": sid,
                "site_id": batch.site_id,
                "host": sample.host,
                "rule": rule.name,
                "state": new_state.value,
                "value": sample.value,
                "changed_at": now,
            }
            await deps.states.save(doc, tx.session)
            if change is Change.breached:
                breaches += 1
                await tx.emit(
                    MetricBreached(
                        site_id=batch.site_id,
                        host=sample.host,
                        rule=rule.name,
                        problem_class=rule.problem_class,
                        severity=rule.severity,
                        value=sample.value,
                        threshold=rule.threshold,
                        breached_at=now,
                    ),
                    correlation_id=sid,
                )
            else:
                recoveries += 1
                await tx.emit(
                    MetricRecovered(
                        site_id=batch.site_id,
                        host=sample.host,
                        rule=rule.name,
                        value=sample.value,
                        recovered_at=now,
                    ),
                    correlation_id=sid,
                )
        return breaches, recoveries

    breaches, recoveries = await kit.uow.run(evaluate_all) if latest else (0, 0)
    return MetricBatchAccepted(accepted=len(batch.samples), breaches=breaches, recoveries=recoveries)
