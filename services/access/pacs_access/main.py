"""Access: hospital-authorised remote access: requests, approvals and grants, and the vendor's SSH certificate
authority with its key revocation list. A service of its own because it holds a signing key."""

from fastapi import APIRouter, FastAPI

from pacs_access import handlers
from pacs_access.deps import AccessDeps
from pacs_access.jobs.close_grants import close_grants
from pacs_access.jobs.refresh_gauges import refresh_gauges
from pacs_access.routes import requests
from pacs_access.settings import AccessSettings
from pacs_kit.consumer import handler_table
from pacs_kit.service import BackgroundTask, ServiceSpec, build_service

HANDLERS = handler_table(handlers)
ROUTERS: list[APIRouter] = [requests.router]
JOBS: list[BackgroundTask] = [close_grants, refresh_gauges]


def create_app(settings: AccessSettings | None = None) -> FastAPI:
    return build_service(ServiceSpec("access", settings or AccessSettings(), AccessDeps.build,
                                     ROUTERS, HANDLERS, JOBS))  # fmt: skip
