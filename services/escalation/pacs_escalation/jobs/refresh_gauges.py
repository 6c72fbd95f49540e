"""Refreshes escalation's gauges from the database in the background, so a scrape never waits on a query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain.availability import budget_minutes, planned_time, summary
from pacs_escalation.domain.sla import CLOSED
from pacs_kit.loop import WorkLoop
from pacs_kit.service import Kit

COMPLIANCE_WINDOW = timedelta(days=30)


async def refresh_gauges(kit: Kit, deps: EscalationDeps) -> None:
    """Open incidents, SLA at risk and compliance, availability: every `gauge_refresh_seconds`."""
    every = getattr(kit.settings, "gauge_refresh_seconds", 30.0)

    async def refresh() -> None:  # a failure leaves the gauges stale; the loop retries, readiness reports the outage
        now = datetime.now(UTC)
        await _availability(deps, now)
        projection = {"timeline": 0, "terms": 0, "resolution": 0}
        open_now = await deps.incidents.collection.find({"state": {"$nin": list(CLOSED)}}, projection).to_list()
        recent = await deps.incidents.opened_between(now - COMPLIANCE_WINDOW, now)
        deps.metrics.incidents(open_now, recent, now)

    await WorkLoop.every("escalation gauges", every, refresh).run()


async def _availability(deps: EscalationDeps, now: datetime) -> None:
    year = now.year
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    entries = await deps.downtime.overlapping(None, start, end)
    windows = await deps.windows.overlapping(None, start, end)
    sites, _ = await deps.sites.list(limit=100_000, offset=0)
    for site in sites:
        budget = budget_minutes(site["contract"])
        planned = planned_time([w for w in windows if w["site_id"] == site["_id"]])
        result = summary([e for e in entries if e["site_id"] == site["_id"]], year, budget, planned)
        for cause, minutes in result["minutes_down_by_cause"].items():
            deps.metrics.down.labels(site["_id"], cause).set(minutes)
        deps.metrics.budget_left.labels(site["_id"]).set(result["software_minutes_left"])
