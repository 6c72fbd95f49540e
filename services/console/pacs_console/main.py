"""Console: the staff's pages and sign-in. It owns staff accounts and sessions, and no business data."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pacs_console.adapters.platform import PlatformError
from pacs_console.adapters.web import PageHeaders, static_folder
from pacs_console.deps import ConsoleDeps
from pacs_console.routes import (
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


async def hear_incident_changes(kit: Kit, deps: ConsoleDeps) -> None:
    await deps.live.listen(kit.settings.amqp_url, kit.topology)


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    app = build_service(
        ServiceSpec(
            name="console",
            settings=settings or ConsoleSettings(),
            build_deps=ConsoleDeps.build,
            routers=[
                auth.router,
                accounts.router,
                pages.router,
                incident_pages.router,
                call_pages.router,
                admin_pages.router,
                board_pages.router,
                pm_pages.router,
                contact_pages.router,
                report_pages.router,
                site_pages.router,
            ],
            background=[hear_incident_changes],
        )
    )
    app.mount("/console/static", StaticFiles(directory=static_folder()), name="static")
    app.add_exception_handler(SignInNeeded, answer_sign_in_needed)
    app.add_exception_handler(PlatformError, answer_platform_error)
    app.add_middleware(PageHeaders)
    return app
