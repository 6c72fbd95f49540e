"""A release's applicability, read from the scheduler's own copies of what runs where (for the API now, and for
the upgrade campaigns that will plan windows from it)."""

from __future__ import annotations

from datetime import datetime

from pacs_contracts.api import Applicability, ReleasePublic
from pacs_scheduler.deps import SchedulerDeps
from pacs_scheduler.domain import releases


async def applicability(deps: SchedulerDeps, release: ReleasePublic, now: datetime) -> Applicability:
    """Every registered site that runs the release's product, judged on what the site reported last."""
    running = await deps.installed.of_component(release.product)
    site_ids = sorted({doc["site_id"] for doc in running})
    sites = await deps.sites.many(site_ids)
    installed = await deps.installed.at_sites(list(sites))
    licences = await deps.licences.at_sites(list(sites))
    return releases.applicability(release, sites, installed, licences, now)
