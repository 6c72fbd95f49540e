"""What the pages show of a hospital beside an incident, a visit or a report row: its name and time zone."""

from __future__ import annotations

import asyncio
from typing import Any

from pacs_console.adapters.platform import Platform, PlatformError

SITES_AT_ONCE = 20  # distinct sites a page reads at a time


async def site_facts(platform: Platform, token: str, site_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Each site's name and time zone, read SITES_AT_ONCE at a time; a site that cannot be read keeps its id."""

    async def one(site_id: str) -> tuple[str, dict[str, Any]]:
        try:
            site = await platform.get(f"/api/v1/sites/{site_id}", token)
        except PlatformError:
            return site_id, {"name": site_id, "time_zone": "UTC"}
        return site_id, {"name": site["name"], "time_zone": site.get("time_zone") or "UTC", "site": site}

    ordered = sorted(site_ids)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ordered), SITES_AT_ONCE):
        found.update(await asyncio.gather(*(one(s) for s in ordered[start : start + SITES_AT_ONCE])))
    return found
