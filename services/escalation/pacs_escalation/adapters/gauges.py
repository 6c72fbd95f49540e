"""Availability as Prometheus gauges, refreshed in the background (a scrape never waits on the database)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import Gauge

from pacs_contracts.common import parse_duration
from pacs_escalation.domain.availability import summary

if TYPE_CHECKING:
    from pacs_escalation.deps import EscalationDeps
    from pacs_kit.service import Kit

log = logging.getLogger(__name__)
REFRESH_SECONDS = 30.0


async def refresh_availability(kit: Kit, deps: EscalationDeps) -> None:
    down = Gauge("pacs_site_downtime_minutes", "Whole-system downtime this year", ["site_id", "cause"],
                 registry=kit.metrics.registry)  # fmt: skip
    left = Gauge("pacs_site_software_budget_left_minutes", "Software downtime budget left this year", ["site_id"],
                 registry=kit.metrics.registry)  # fmt: skip
    while True:
        try:
            await _refresh(deps, down, left)
        except Exception as exc:  # stale gauges until the database answers; readiness reports the outage
            log.warning("availability gauges not refreshed: %s", exc)
        await asyncio.sleep(REFRESH_SECONDS)


async def _refresh(deps: EscalationDeps, down: Gauge, left: Gauge) -> None:
    year = datetime.now(UTC).year
    entries = await deps.downtime.overlapping(
        None, datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    )
    sites, _ = await deps.sites.list(limit=100_000, offset=0)
    for site in sites:
        budget = parse_duration(site["contract"].get("software_downtime_budget", "PT4H")).total_seconds() / 60
        result = summary([e for e in entries if e["site_id"] == site["_id"]], year, budget)
        for cause, minutes in result["minutes_down_by_cause"].items():
            down.labels(site["_id"], cause).set(minutes)
        left.labels(site["_id"]).set(result["software_minutes_left"])
