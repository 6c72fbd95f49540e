"""Refreshes the scheduler's gauges from the database in the background, so a scrape never waits on a query."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pacs_contracts.api import CampaignState
from pacs_kit.loop import WorkLoop
from pacs_scheduler.domain.releases import behind_latest

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps


async def refresh_gauges(kit: Kit, deps: SchedulerDeps) -> None:
    """Sites behind the newest releases, campaigns and their sites by state: every `gauge_refresh_seconds`."""

    async def refresh() -> None:  # a failure leaves the gauges stale; the loop retries, readiness reports the outage
        catalogue = await deps.releases.collection.find({}, {"product": 1, "kind": 1, "version": 1}).to_list()
        running = await deps.installed.collection.find(
            {"component": {"$in": sorted({r["product"] for r in catalogue})}},
            {"site_id": 1, "component": 1, "installed_version": 1},
        ).to_list()
        registered = await deps.sites.many(sorted({doc["site_id"] for doc in running}))
        deps.gauges.releases(behind_latest(catalogue, running, registered.keys()))
        campaigns = await deps.campaigns.collection.find({}, {"state": 1}).to_list()
        active = [c["_id"] for c in campaigns if c["state"] == CampaignState.active]
        rows = await deps.campaign_sites.collection.find({"campaign_id": {"$in": active}}, {"state": 1}).to_list()
        deps.gauges.upgrades([c["state"] for c in campaigns], [row["state"] for row in rows])

    await WorkLoop.every("scheduler gauges", deps.settings.gauge_refresh_seconds, refresh).run()
