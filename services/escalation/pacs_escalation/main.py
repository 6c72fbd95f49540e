"""Escalation: sites, contracts, engineers and incidents on the contract clock."""

from fastapi import FastAPI

from pacs_contracts.events import FaultReported, MetricBreached, MetricRecovered, NotificationAcknowledged, SlaTick
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.handlers import (
    fault_reported,
    metric_breached,
    metric_recovered,
    notification_acknowledged,
    sla_tick,
)
from pacs_escalation.jobs.file_escalations import file_escalations
from pacs_escalation.jobs.pace_clocks import pace_clocks
from pacs_escalation.jobs.refresh_gauges import refresh_gauges
from pacs_escalation.jobs.warm_knowledge import warm_knowledge
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
from pacs_kit.service import ServiceSpec, build_service

HANDLERS = {
    FaultReported: fault_reported.handle,
    SlaTick: sla_tick.handle,
    MetricBreached: metric_breached.handle,
    MetricRecovered: metric_recovered.handle,
    NotificationAcknowledged: notification_acknowledged.handle,
}


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
