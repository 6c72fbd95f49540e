"""Samples in, transitions out: every source of samples (agents' batches, DICOM probes) comes through here.

Each sample is matched against the rules and forecasts in force for its host (the site's and the
host's overrides applied), the newest observation per (host, rule) is settled in one transaction,
and capacity samples feed the hourly history the forecasts fit.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pacs_contracts.api import MetricSample
from pacs_kit.uow import Tx
from pacs_monitoring.adapters.forecasts import forecast
from pacs_monitoring.domain.pack import Forecast
from pacs_monitoring.domain.rules import Observation
from pacs_monitoring.usecases.breaches import settle

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_monitoring.deps import MonitoringDeps


async def ingest(
    kit: Kit, deps: MonitoringDeps, site_id: str, samples: list[MetricSample], now: datetime | None = None
) -> Counter[str]:
    """Counts of what the samples caused: breaches, recoveries, held, recorded, quiet."""
    now = now or datetime.now(UTC)
    observations = await observe(deps, site_id, samples, now)

    async def work(tx: Tx) -> Counter[str]:
        return await settle(site_id, observations, now, tx, deps)

    counts: Counter[str] = await kit.uow.run(work) if observations else Counter()
    deps.metrics.counted(site_id, len(samples), counts)
    return counts


async def observe(deps: MonitoringDeps, site_id: str, samples: list[MetricSample], now: datetime) -> list[Observation]:
    """What the samples say about the rules and forecasts in force for their hosts, for `settle` to apply."""
    packs = await deps.packs_for(site_id)
    observations: list[Observation] = []
    capacity: dict[tuple[str, str], tuple[Forecast, list[tuple[datetime, float]]]] = {}
    for sample in samples:
        rules, forecasts = packs.for_host(sample.host).by_metric.get(sample.name, ((), ()))
        for rule in rules:
            if rule.matches(sample.name, sample.labels):
                observations.append(rule.observation(sample.host, sample.value))
        for rule in forecasts:
            if rule.matches(sample.name, sample.labels):
                series = capacity.setdefault((sample.host, rule.name), (rule, []))
                series[1].append((sample.timestamp or now, sample.value))
    for (host, _), (rule, points) in capacity.items():
        seen = await forecast(deps.points, site_id, host, rule, points)
        if seen is not None:
            observations.append(seen)
    return observations
