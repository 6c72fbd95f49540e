"""Escalation: sites, contracts, engineers and incidents on the contract clock."""

import functools
import logging
from datetime import datetime

from fastapi import FastAPI

from pacs_contracts.events import FaultReported, MetricBreached, MetricRecovered, NotificationAcknowledged, SlaTick
from pacs_escalation.adapters.filer import file_escalations
from pacs_escalation.adapters.metrics import refresh_gauges
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.handlers import (
    fault_reported,
    metric_breached,
    metric_recovered,
    notification_acknowledged,
    sla_tick,
)
from pacs_escalation.routes import (
    availability,
    engineers,
    incident_actions,
    incidents,
    knowledge,
    reports,
    rosters,
    sites,
)
from pacs_escalation.settings import EscalationSettings
from pacs_kit.service import Kit, ServiceSpec, build_service

log = logging.getLogger(__name__)
SWEEP_TIMEOUT_SECONDS = 30.0

HANDLERS = {
    FaultReported: fault_reported.handle,
    SlaTick: sla_tick.handle,
    MetricBreached: metric_breached.handle,
    MetricRecovered: metric_recovered.handle,
    NotificationAcknowledged: notification_acknowledged.handle,
}


async def warm_knowledge(kit: Kit, deps: EscalationDeps) -> None:
    """Load the embedding model and the case index before the first search needs them."""
    try:
        await deps.encoder.encode(["warm-up"])
        await deps.index.refresh(deps.cases)
    except Exception:  # the first search loads them instead
        log.exception("could not warm the knowledge index")


async def pace_clocks(kit: Kit, deps: EscalationDeps) -> None:
    """Sweep the contract clocks on each tick and between ticks (see adapters/pacer.py)."""
    deps.pacer.observe = deps.metrics.clock_sweep.observe

    async def sweep(now: datetime) -> bool:
        return await kit.uow.run(functools.partial(sla_tick.sweep, now, deps=deps), timeout=SWEEP_TIMEOUT_SECONDS)

    await deps.pacer.run(sweep)


def create_app(settings: EscalationSettings | None = None) -> FastAPI:
    return build_service(
        ServiceSpec(
            name="escalation",
            settings=settings or EscalationSettings(),
            build_deps=EscalationDeps.build,
            routers=[
                sites.router,
                engineers.router,
                incidents.router,
                incident_actions.router,
                rosters.router,
                availability.router,
                reports.router,
                knowledge.router,
            ],
            handlers=HANDLERS,
            background=[refresh_gauges, warm_knowledge, pace_clocks, file_escalations],
        )
    )
