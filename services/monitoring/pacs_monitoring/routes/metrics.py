"""Metric batches from site agents: matched against the rules in force for each host (usecases/ingest.py)."""

from __future__ import annotations

from fastapi import APIRouter

from pacs_contracts.api import MetricBatch, MetricBatchAccepted
from pacs_kit.deps import KitDep, SiteKey
from pacs_kit.middleware import bulk_body
from pacs_monitoring.deps import DepsDep
from pacs_monitoring.usecases.ingest import ingest

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


@router.post(
    "",
    status_code=202,
    response_model=MetricBatchAccepted,
    summary="Accept a batch of samples",
    openapi_extra=bulk_body(),
)  # thousands of samples
async def accept_batch(batch: MetricBatch, principal: SiteKey, deps: DepsDep, kit: KitDep) -> MetricBatchAccepted:
    """The newest sample per host and rule counts; a breach is published once per transition."""
    principal.act_for_site(batch.site_id)
    counts = await ingest(kit, deps, batch.site_id, batch.samples)
    return MetricBatchAccepted(
        accepted=len(batch.samples), breaches=counts["breaches"], recoveries=counts["recoveries"], held=counts["held"]
    )
