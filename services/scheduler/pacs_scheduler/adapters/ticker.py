"""Publishes `sla.tick` every interval while this instance holds the clock lease."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pacs_contracts import Envelope
from pacs_contracts.events import SlaTick
from pacs_scheduler.domain.clock import next_tick

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

log = logging.getLogger(__name__)


async def run(kit: Kit, deps: SchedulerDeps) -> None:
    """Ticks are published directly, not through the outbox: a lost tick is repaid by the next one."""
    settings = deps.settings
    ttl = timedelta(seconds=settings.lease_seconds)
    try:
        while True:
            await asyncio.sleep(max(0.0, next_tick(time.time(), settings.tick_seconds) - time.time()))
            try:
                lease = await deps.leases.acquire(deps.instance_id, ttl)
                if lease is None:
                    deps.is_leader = False
                    continue
                deps.is_leader = True
                tick = SlaTick(at=datetime.now(UTC), sequence=lease["sequence"])
                await kit.bus.publish(Envelope.wrap(tick, producer=kit.name))
                kit.metrics.published.labels(tick.type).inc()
            except Exception:
                deps.is_leader = False
                log.warning("tick skipped: lease or broker unavailable", exc_info=True)
    finally:
        await asyncio.shield(deps.leases.release(deps.instance_id))
