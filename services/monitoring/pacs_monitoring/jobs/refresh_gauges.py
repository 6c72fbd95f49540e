"""The estate's gauges (what is firing, pending, silent, up) refreshed from the database, so every instance shows
the whole estate and a scrape never waits on a query."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pacs_kit.loop import WorkLoop

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_monitoring.deps import MonitoringDeps


async def refresh_gauges(kit: Kit, deps: MonitoringDeps) -> None:
    """Stale gauges while the database is away; readiness reports the outage."""
    every = getattr(kit.settings, "gauge_refresh_seconds", 15.0)

    async def refresh() -> None:
        states = await deps.states.not_ok()
        links = await deps.links.collection.find({}, {"site_id": 1, "silent": 1}).to_list()
        nodes = await deps.dicom_nodes.collection.find({}, {"site_id": 1, "last_probe": 1}).to_list()
        deps.metrics.estate(states, links, nodes)

    await WorkLoop.every("monitoring gauges refresh", every, refresh).run()
