"""Monitoring: the remote watch over every hospital's PACS."""

from fastapi import FastAPI

from pacs_kit.consumer import handler_table
from pacs_kit.service import ServiceSpec, build_service
from pacs_monitoring import handlers
from pacs_monitoring.deps import MonitoringDeps
from pacs_monitoring.jobs.probe_dicom_nodes import probe_dicom_nodes
from pacs_monitoring.jobs.refresh_gauges import refresh_gauges
from pacs_monitoring.jobs.watch_links import watch_links
from pacs_monitoring.routes import alertmanager, dicom, health, heartbeats, metrics, rules
from pacs_monitoring.settings import MonitoringSettings

HANDLERS = handler_table(handlers)
ROUTERS = [metrics.router, alertmanager.router, heartbeats.router, health.router, rules.router, dicom.router]
JOBS = [watch_links, refresh_gauges, probe_dicom_nodes]


def create_app(settings: MonitoringSettings | None = None) -> FastAPI:
    return build_service(ServiceSpec("monitoring", settings or MonitoringSettings(), MonitoringDeps.build,
                                     ROUTERS, HANDLERS, JOBS))  # fmt: skip
