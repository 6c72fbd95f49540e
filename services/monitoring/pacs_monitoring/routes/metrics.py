"""Metric batches from site agents: the newest sample per host and rule is evaluated (adapters/breaches.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from fastapi import APIRouter

from pacs_contracts.api import MetricBatch, MetricBatchAccepted
from pacs_kit.deps import KitDep, SiteKey
from pacs_kit.uow import Tx
from pacs_monitoring.adapters.breaches import Observation, settle
from pacs_monitoring.deps import DepsDep
from pacs_monitoring.domain.pack import Rule

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


def _observations(batch: MetricBatch, rules: list[Rule]) -> list[Observation]:
    by_metric: dict[str, list[Rule]] = {}
    for rule in rules:
        by_metric.setdefault(rule.metric, []).append(rule)
    return [
        Observation(host=sample.host, rule=rule.name, problem_class=rule.problem_class, severity=rule.severity,
                    value=sample.value, threshold=rule.threshold, firing=rule.observe(sample.value),
                    for_seconds=rule.for_seconds, record_only=rule.record_only)
        for sample in batch.samples
        for rule in by_metric.get(sample.name, ())
        if rule.matches(sample.name, sample.labels)
    ]  # fmt: skip


@router.post("", status_code=202, response_model=MetricBatchAccepted, summary="Accept a batch of samples")
async def accept_batch(batch: MetricBatch, principal: SiteKey, deps: DepsDep, kit: KitDep) -> MetricBatchAccepted:
    """The newest sample per host and rule counts; a breach is published once per transition."""
    principal.act_for_site(batch.site_id)
    observations = _observations(batch, (await deps.rules())[2])

    async def work(tx: Tx) -> Counter[str]:
        return await settle(batch.site_id, observations, datetime.now(UTC), tx, deps)

    counts = await kit.uow.run(work) if observations else Counter[str]()
    return MetricBatchAccepted(
        accepted=len(batch.samples), breaches=counts["breaches"], recoveries=counts["recoveries"], held=counts["held"]
    )
