"""Scheduler: owns time: the cluster-wide `sla.tick`, preventive maintenance, maintenance windows, the
periodic service reviews (with the read model of incidents and monitoring breaches they are counted from) and the
release catalogue (with the read model of installed software and licences its applicability is judged on)."""

from fastapi import FastAPI

from pacs_kit.consumer import handler_table
from pacs_kit.service import ServiceSpec, build_service
from pacs_scheduler import handlers
from pacs_scheduler.deps import SchedulerDeps
from pacs_scheduler.jobs.clock_ticks import publish_clock_ticks
from pacs_scheduler.jobs.maintenance_windows import start_and_end_windows
from pacs_scheduler.jobs.pm_visits import announce_pm_visits
from pacs_scheduler.jobs.refresh_gauges import refresh_gauges
from pacs_scheduler.jobs.review_drafts import draft_service_reviews
from pacs_scheduler.jobs.upgrade_campaigns import move_upgrade_campaigns
from pacs_scheduler.routes import agreements, campaigns, clock, maintenance, pm, releases, reviews
from pacs_scheduler.settings import SchedulerSettings

HANDLERS = handler_table(handlers)
ROUTERS = [clock.router, maintenance.router, pm.plans, pm.visits, reviews.router, releases.router,
           campaigns.router, agreements.router]  # fmt: skip
JOBS = [
    publish_clock_ticks,
    start_and_end_windows,
    announce_pm_visits,
    draft_service_reviews,
    move_upgrade_campaigns,
    refresh_gauges,
]


def create_app(settings: SchedulerSettings | None = None) -> FastAPI:
    return build_service(ServiceSpec("scheduler", settings or SchedulerSettings(), SchedulerDeps.build,
                                     ROUTERS, HANDLERS, JOBS))  # fmt: skip
