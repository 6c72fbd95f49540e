"""Console: the staff's pages and sign-in. It owns staff accounts and sessions, and no business data."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pacs_console.adapters.web import PageHeaders, static_folder
from pacs_console.deps import ConsoleDeps
from pacs_console.routes import accounts, admin_pages, auth, call_pages, incident_pages, pages
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
            ],
            background=[hear_incident_changes],
        )
    )
    app.mount("/console/static", StaticFiles(directory=static_folder()), name="static")
    app.add_middleware(PageHeaders)
    return app
