"""Escalation: sites, contracts, engineers and incidents on the contract clock."""

import logging

from fastapi import FastAPI

from pacs_contracts.events import FaultReported, MetricBreached, MetricRecovered, SlaTick
from pacs_escalation.adapters.gauges import refresh_availability
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.handlers import fault_reported, metric_breached, metric_recovered, sla_tick
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

HANDLERS = {
    FaultReported: fault_reported.handle,
    SlaTick: sla_tick.handle,
    MetricBreached: metric_breached.handle,
    MetricRecovered: metric_recovered.handle,
}


async def warm_knowledge(kit: Kit, deps: EscalationDeps) -> None:
    """Load the embedding model and the case index before the first search needs them."""
    try:
        await deps.encoder.encode(["warm-up"])
        await deps.index.refresh(deps.cases)
    except Exception:  # the first search loads them instead
        log.exception("could not warm the knowledge index")


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
            background=[refresh_availability, warm_knowledge],
        )
    )
