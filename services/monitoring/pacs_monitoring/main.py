"""Monitoring: the remote watch over every hospital's PACS."""

from fastapi import FastAPI

from pacs_kit.consumer import handler_table
from pacs_kit.service import ServiceSpec, build_service
from pacs_monitoring import handlers
from pacs_monitoring.deps import MonitoringDeps
from pacs_monitoring.jobs.probe_dicom_nodes import probe_dicom_nodes
from pacs_monitoring.jobs.refresh_gauges import refresh_gauges
from pacs_monitoring.jobs.watch_licences import watch_licences
from pacs_monitoring.jobs.watch_links import watch_links
from pacs_monitoring.routes import alertmanager, dicom, health, heartbeats, licences, metrics, rules, software
from pacs_monitoring.settings import MonitoringSettings

HANDLERS = handler_table(handlers)
ROUTERS = [metrics.router, alertmanager.router, heartbeats.router, health.router, rules.router, dicom.router,
           software.router, licences.router]  # fmt: skip
JOBS = [watch_links, refresh_gauges, probe_dicom_nodes, watch_licences]


def create_app(settings: MonitoringSettings | None = None) -> FastAPI:
    return build_service(ServiceSpec("monitoring", settings or MonitoringSettings(), MonitoringDeps.build,
                                     ROUTERS, HANDLERS, JOBS))  # fmt: skip
