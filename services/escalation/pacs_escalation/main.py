"""Escalation: sites, contracts, engineers and incidents on the contract clock."""

from fastapi import FastAPI

from pacs_escalation import handlers
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.jobs.file_escalations import file_escalations
from pacs_escalation.jobs.pace_clocks import pace_clocks
from pacs_escalation.jobs.refresh_gauges import refresh_gauges
from pacs_escalation.jobs.warm_knowledge import warm_knowledge
from pacs_escalation.routes import availability, engineers, incident_actions, incidents, knowledge, reports, rosters
from pacs_escalation.routes import sites as site_routes
from pacs_escalation.settings import EscalationSettings
from pacs_kit.consumer import handler_table
from pacs_kit.service import ServiceSpec, build_service

HANDLERS = handler_table(handlers)
ROUTES = (site_routes, engineers, incidents, incident_actions, rosters, availability, reports, knowledge)
JOBS = [refresh_gauges, warm_knowledge, pace_clocks, file_escalations]


def create_app(settings: EscalationSettings | None = None) -> FastAPI:
    return build_service(ServiceSpec("escalation", settings or EscalationSettings(), EscalationDeps.build,
                                     [r.router for r in ROUTES], HANDLERS, JOBS))  # fmt: skip
