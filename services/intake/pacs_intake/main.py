"""Intake: faults from hospital HIS systems and the call centre enter here."""

from fastapi import FastAPI

from pacs_intake import handlers
from pacs_intake.deps import IntakeDeps
from pacs_intake.routes import calls, faults, site_keys
from pacs_intake.settings import IntakeSettings
from pacs_kit.consumer import handler_table
from pacs_kit.service import ServiceSpec, build_service

HANDLERS = handler_table(handlers)
ROUTERS = [faults.router, calls.router, site_keys.router]


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    return build_service(ServiceSpec("intake", settings or IntakeSettings(), IntakeDeps.build, ROUTERS, HANDLERS))
