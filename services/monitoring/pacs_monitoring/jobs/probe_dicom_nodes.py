"""DICOM nodes C-ECHOed on their schedule; each round's results are kept and fed to the rules as samples.

A round claims the nodes that are due (a guarded move of each one's `next_probe_at`, so that two
monitoring instances never probe a node in the same round), echoes them together on the prober's
pool, records the outcomes, then hands each site's samples to the same ingest path as metric
batches, so `dicom-node-down` and `dicom-echo-slow` are rules like any other.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pacs_contracts.api import MetricSample
from pacs_kit.loop import WorkLoop
from pacs_monitoring.adapters.dicom import Prober
from pacs_monitoring.domain.probes import Echo, samples
from pacs_monitoring.usecases.ingest import ingest

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_monitoring.deps import MonitoringDeps

log = logging.getLogger(__name__)
CHECK_SECONDS = 0.5
BATCH = 200
# A round reads due nodes from where the last one reached, less this much: a node scheduled by an
# instance whose clock runs behind may land just under that point.
LOOK_BACK = timedelta(seconds=60)


async def probe_dicom_nodes(kit: Kit, deps: MonitoringDeps) -> None:
    """Probe rounds for as long as the service runs; a round that fails is tried again after the loop's back-off."""
    prober = Prober(deps.dicom)
    since: datetime | None = None  # an instance's first round reads every node due, however late

    async def one_round() -> bool:
        nonlocal since
        since, full = await run_round(kit, deps, prober, since)
        return full

    try:
        await WorkLoop("DICOM probe round", one_round, CHECK_SECONDS).run()
    finally:
        prober.close()


async def run_round(kit: Kit, deps: MonitoringDeps, prober: Prober,
                    since: datetime | None) -> tuple[datetime, bool]:  # fmt: skip
    """Probe what is due now; (where the next round reads from, whether more may be due than this one took)."""
    now = datetime.now(UTC)
    due = await deps.dicom_nodes.due(since, now, BATCH)
    nexts = [now + timedelta(seconds=deps.dicom.interval_of(node)) for node in due]
    won = await asyncio.gather(*(deps.dicom_nodes.claim(n, at) for n, at in zip(due, nexts, strict=True)))
    claimed = [node for node, ok in zip(due, won, strict=True) if ok]
    echoes = await asyncio.gather(*(prober.probe(node) for node in claimed))
    judged = [(node, echo) for node, echo in zip(claimed, echoes, strict=True) if echo is not None]
    await _record(deps, judged)
    await _feed(kit, deps, judged)
    full = len(due) >= BATCH
    reached = due[-1]["next_probe_at"] if full else now
    return reached - LOOK_BACK, full


async def _record(deps: MonitoringDeps, judged: list[tuple[dict[str, Any], Echo]]) -> None:
    expire_at = datetime.now(UTC) + deps.dicom.retention
    probes = [{"node_id": node["_id"], "site_id": node["site_id"], "at": echo.at, "up": echo.up,
               "rtt_seconds": echo.rtt_seconds, "error": echo.error, "expire_at": expire_at}
              for node, echo in judged]  # fmt: skip
    await deps.dicom_probes.add_all(probes)
    await deps.dicom_nodes.record({node["_id"]: {"up": echo.up, "rtt_seconds": echo.rtt_seconds,
                                                 "checked_at": echo.at, "error": echo.error}
                                   for node, echo in judged})  # fmt: skip
    for node, echo in judged:
        deps.metrics.echoed(node["site_id"], echo.rtt_seconds if echo.up else None)
        before = (node.get("last_probe") or {}).get("up")
        if before is not echo.up:  # changes only: a steady state would log a line per node and interval
            log.info("DICOM node %s of site %s is %s%s", node["_id"], node["site_id"], "up" if echo.up else "down",
                     f": {echo.error}" if echo.error else "")  # fmt: skip


async def _feed(kit: Kit, deps: MonitoringDeps, judged: list[tuple[dict[str, Any], Echo]]) -> None:
    """Each site's samples through the rules, one ingest (one transaction) per site and round."""
    by_site: dict[str, list[MetricSample]] = defaultdict(list)
    for node, echo in judged:
        by_site[node["site_id"]] += samples(node, echo)
    for site_id, found in by_site.items():
        await ingest(kit, deps, site_id, found)
