"""Scheduler: owns time: the cluster-wide `sla.tick`, preventive maintenance and maintenance windows."""

from fastapi import FastAPI

from pacs_contracts.events import SiteRegistered
from pacs_kit.service import ServiceSpec, build_service
from pacs_scheduler.adapters import maintenance as windows
from pacs_scheduler.adapters import pm as pm_visits
from pacs_scheduler.adapters import ticker
from pacs_scheduler.deps import SchedulerDeps
from pacs_scheduler.handlers import sites
from pacs_scheduler.routes import clock, maintenance, pm
from pacs_scheduler.settings import SchedulerSettings


def create_app(settings: SchedulerSettings | None = None) -> FastAPI:
    return build_service(
        ServiceSpec(
            name="scheduler",
            settings=settings or SchedulerSettings(),
            build_deps=SchedulerDeps.build,
            routers=[clock.router, maintenance.router, pm.plans, pm.visits],
            background=[ticker.run, windows.run, pm_visits.run],
            handlers={SiteRegistered: sites.registered},
        )
    )
