"""A release's applicability, read from the scheduler's own copies of what runs where: for the API, and for the
upgrade campaigns that choose their sites from it."""

from __future__ import annotations

from datetime import datetime

from pacs_contracts.api import Applicability, ReleasePublic, SiteSelection
from pacs_contracts.common import parse_version
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


async def selection(deps: SchedulerDeps, release: ReleasePublic, select: SiteSelection,
                    now: datetime) -> list[tuple[str, str]]:  # fmt: skip
    """(site, region) of the sites that need the release, narrowed by `select`, in site order: what a campaign's
    choosing waves take from."""
    judged = await applicability(deps, release, now)
    rows = judged.ready if select.ready_only else judged.needs
    if select.versions:
        rows = [r for r in rows if _within(r.installed_version, select.versions)]
    site_ids = sorted({r.site_id for r in rows})
    regions = {site_id: doc.get("region", "") for site_id, doc in (await deps.sites.many(site_ids)).items()}
    return [(s, regions.get(s, "")) for s in site_ids if not select.regions or regions.get(s) in select.regions]


def _within(installed: str, ranges: list[str]) -> bool:
    try:
        return releases.within(parse_version(installed), ranges)
    except ValueError:  # a version that does not parse or order is never chosen by a range
        return False
