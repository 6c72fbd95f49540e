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
from pacs_kit.service import Kit, ServiceSpec, build_service
from pacs_notify.deps import NotifyDeps
from pacs_notify.handlers import engineer_registered, incident_escalated, incident_opened, incident_reassigned, others
from pacs_notify.routes import ack, contacts, inbound, notifications
from pacs_notify.settings import NotifySettings

HANDLERS = {
    EngineerRegistered: engineer_registered.handle,
    IncidentOpened: incident_opened.handle,
    IncidentEscalated: incident_escalated.handle,
    IncidentReassigned: incident_reassigned.handle,
    IncidentAcknowledged: others.incident_acknowledged,
    SlaBreached: others.sla_breached,
    PmDue: others.pm_due,
    SiteRegistered: others.site_registered,
}


async def dispatch(kit: Kit, deps: NotifyDeps) -> None:
    try:
        await deps.dispatcher.run(kit, deps)
    finally:  # the service stops: the providers' HTTP client goes with it
        await deps.outbound.close()


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return build_service(
        ServiceSpec(
            name="notify",
            settings=settings or NotifySettings(),
            build_deps=NotifyDeps.build,
            routers=[notifications.router, ack.router, contacts.router, inbound.router],
            handlers=HANDLERS,
            background=[dispatch],
        )
    )
