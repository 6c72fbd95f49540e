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
from pacs_monitoring.domain.rules import RULES, observe

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


def _observations(batch: MetricBatch) -> list[Observation]:
    by_metric = {rule.metric: rule for rule in RULES}
    return [
        Observation(
            host=sample.host,
            rule=rule.name,
            problem_class=rule.problem_class,
            severity=rule.severity,
            value=sample.value,
            threshold=rule.threshold,
            firing=observe(rule, sample.value),
        )
        for sample in batch.samples
        if (rule := by_metric.get(sample.name)) is not None
    ]


@router.post("", status_code=202, response_model=MetricBatchAccepted, summary="Accept a batch of samples")
async def accept_batch(batch: MetricBatch, principal: SiteKey, deps: DepsDep, kit: KitDep) -> MetricBatchAccepted:
    """The newest sample per host and rule counts; a breach is published once per transition."""
    principal.act_for_site(batch.site_id)
    observations = _observations(batch)

    async def work(tx: Tx) -> Counter[str]:
        return await settle(batch.site_id, observations, datetime.now(UTC), tx, deps)

    counts = await kit.uow.run(work) if observations else Counter[str]()
    return MetricBatchAccepted(
        accepted=len(batch.samples), breaches=counts["breaches"], recoveries=counts["recoveries"], held=counts["held"]
    )
