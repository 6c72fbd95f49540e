"""Notify: reaches the engineer who owns an incident."""

from fastapi import FastAPI

from pacs_contracts.events import (
    EngineerRegistered,
    IncidentAcknowledged,
    IncidentEscalated,
    IncidentOpened,
    IncidentReassigned,
    PmDue,
    SiteRegistered,
    SlaBreached,
)
from pacs_kit.service import ServiceSpec, build_service
from pacs_notify.deps import NotifyDeps
from pacs_notify.handlers import (
    engineer_registered,
    incident_acknowledged,
    incident_escalated,
    incident_opened,
    incident_reassigned,
    pm_due,
    site_registered,
    sla_breached,
)
from pacs_notify.jobs.send_due_messages import send_due_messages
from pacs_notify.routes import ack, contacts, inbound, notifications
from pacs_notify.settings import NotifySettings

HANDLERS = {
    EngineerRegistered: engineer_registered.handle,
    IncidentOpened: incident_opened.handle,
    IncidentEscalated: incident_escalated.handle,
    IncidentReassigned: incident_reassigned.handle,
    IncidentAcknowledged: incident_acknowledged.handle,
    SlaBreached: sla_breached.handle,
    PmDue: pm_due.handle,
    SiteRegistered: site_registered.handle,
}


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return build_service(
        ServiceSpec(
            name="notify",
            settings=settings or NotifySettings(),
            build_deps=NotifyDeps.build,
            routers=[notifications.router, ack.router, contacts.router, inbound.router],
            handlers=HANDLERS,
            background=[send_due_messages],
        )
    )
