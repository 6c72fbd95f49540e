"""Console: the staff's pages and sign-in. It owns staff accounts and sessions, and no business data."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pacs_console.adapters.platform import PlatformError
from pacs_console.adapters.web import PageHeaders, static_folder
from pacs_console.deps import ConsoleDeps
from pacs_console.routes import (
    account_pages,
    accounts,
    admin_pages,
    auth,
    board_pages,
    call_pages,
    contact_pages,
    incident_pages,
    pages,
    pm_pages,
    report_pages,
    site_pages,
)
from pacs_console.routes.signed_in import SignInNeeded, answer_platform_error, answer_sign_in_needed
from pacs_console.settings import ConsoleSettings
from pacs_kit.service import Kit, ServiceSpec, build_service

ROUTES = (auth, accounts, pages, incident_pages, call_pages, account_pages, admin_pages, board_pages, pm_pages,
          contact_pages, report_pages, site_pages)  # fmt: skip


async def hear_incident_changes(kit: Kit, deps: ConsoleDeps) -> None:
    await deps.live.listen(kit.settings.amqp_url, kit.topology)


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    app = build_service(ServiceSpec("console", settings or ConsoleSettings(), ConsoleDeps.build,
                                    [r.router for r in ROUTES], background=[hear_incident_changes]))  # fmt: skip
    app.mount("/console/static", StaticFiles(directory=static_folder()), name="static")
    app.add_exception_handler(SignInNeeded, answer_sign_in_needed)
    app.add_exception_handler(PlatformError, answer_platform_error)
    app.add_middleware(PageHeaders)
    return app
