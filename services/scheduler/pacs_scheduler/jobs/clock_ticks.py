"""Publishes `sla.tick` every interval while this instance holds the clock lease.

Ticks are published directly, not through the outbox: a lost tick is repaid by the next one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pacs_contracts import Envelope
from pacs_contracts.events import SlaTick
from pacs_kit.loop import WorkLoop
from pacs_scheduler.domain.clock import next_tick

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

log = logging.getLogger(__name__)


async def publish_clock_ticks(kit: Kit, deps: SchedulerDeps) -> None:
    """On each whole interval, take or renew the lease and tick while held; the lease is let go on the way out."""
    interval = deps.settings.tick_seconds
    due = next_tick(time.time(), interval)

    async def step() -> bool:
        nonlocal due
        if time.time() < due:
            return False  # woken before the second: the tick keeps to it
        await tick(kit, deps)
        due = next_tick(time.time(), interval)
        return False

    def until_due() -> float:
        return max(0.0, due - time.time())

    try:
        await WorkLoop("clock ticks", step, until_due).run()
    finally:
        await asyncio.shield(deps.leases.release(deps.instance_id))


async def tick(kit: Kit, deps: SchedulerDeps) -> None:
    """One tick if this instance holds (or takes) the lease; a lease or broker away skips this tick alone."""
    ttl = timedelta(seconds=deps.settings.lease_seconds)
    try:
        lease = await deps.leases.acquire(deps.instance_id, ttl)
        if lease is None:
            deps.is_leader = False
            return
        deps.is_leader = True
        event = SlaTick(at=datetime.now(UTC), sequence=lease["sequence"])
        await kit.bus.publish(Envelope.wrap(event, producer=kit.name))
        kit.metrics.published.labels(event.type).inc()
    except Exception:
        deps.is_leader = False
        log.warning("tick skipped: lease or broker unavailable", exc_info=True)
