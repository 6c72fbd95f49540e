"""Scheduler: owns time: the cluster-wide `sla.tick`, preventive maintenance and maintenance windows."""

from fastapi import FastAPI

from pacs_contracts.events import SiteRegistered
from pacs_kit.service import ServiceSpec, build_service
from pacs_scheduler.deps import SchedulerDeps
from pacs_scheduler.handlers import site_registered
from pacs_scheduler.jobs.clock_ticks import publish_clock_ticks
from pacs_scheduler.jobs.maintenance_windows import start_and_end_windows
from pacs_scheduler.jobs.pm_visits import announce_pm_visits
from pacs_scheduler.routes import clock, maintenance, pm
from pacs_scheduler.settings import SchedulerSettings

HANDLERS = {
    SiteRegistered: site_registered.handle,
}


def create_app(settings: SchedulerSettings | None = None) -> FastAPI:
    return build_service(
        ServiceSpec(
            name="scheduler",
            settings=settings or SchedulerSettings(),
            build_deps=SchedulerDeps.build,
            routers=[clock.router, maintenance.router, pm.plans, pm.visits],
            background=[publish_clock_ticks, start_and_end_windows, announce_pm_visits],
            handlers=HANDLERS,
        )
    )
