"""Notify: reaches the engineer who owns an incident."""

from fastapi import FastAPI

from pacs_kit.consumer import handler_table
from pacs_kit.service import ServiceSpec, build_service
from pacs_notify import handlers
from pacs_notify.deps import NotifyDeps
from pacs_notify.jobs.send_due_messages import send_due_messages
from pacs_notify.routes import ack, contacts, inbound, notifications
from pacs_notify.settings import NotifySettings

HANDLERS = handler_table(handlers)
ROUTERS = [notifications.router, ack.router, contacts.router, inbound.router]


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return build_service(ServiceSpec("notify", settings or NotifySettings(), NotifyDeps.build,
                                     ROUTERS, HANDLERS, [send_due_messages]))  # fmt: skip
