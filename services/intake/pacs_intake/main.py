"""Intake: faults from hospital HIS systems and the call centre enter here."""

from fastapi import FastAPI

from pacs_contracts.events import IncidentOpened, SiteRegistered
from pacs_intake.deps import IntakeDeps
from pacs_intake.handlers import incident_opened, site_registered
from pacs_intake.routes import calls, faults, site_keys
from pacs_intake.settings import IntakeSettings
from pacs_kit.service import ServiceSpec, build_service

HANDLERS = {
    SiteRegistered: site_registered.handle,
    IncidentOpened: incident_opened.handle,
}


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    return build_service(
        ServiceSpec(
            name="intake",
            settings=settings or IntakeSettings(),
            build_deps=IntakeDeps.build,
            routers=[faults.router, calls.router, site_keys.router],
            handlers=HANDLERS,
        )
    )
