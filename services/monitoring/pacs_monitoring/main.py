"""Monitoring: the remote watch over every hospital's PACS."""

from fastapi import FastAPI

from pacs_contracts.events import MaintenanceEnded, MaintenanceStarted
from pacs_kit.service import ServiceSpec, build_service
from pacs_monitoring.adapters import gauges, links, probes
from pacs_monitoring.deps import MonitoringDeps
from pacs_monitoring.handlers import maintenance
from pacs_monitoring.routes import alertmanager, dicom, health, heartbeats, metrics, rules
from pacs_monitoring.settings import MonitoringSettings


def create_app(settings: MonitoringSettings | None = None) -> FastAPI:
    return build_service(
        ServiceSpec(
            name="monitoring",
            settings=settings or MonitoringSettings(),
            build_deps=MonitoringDeps.build,
            routers=[metrics.router, alertmanager.router, heartbeats.router, health.router, rules.router, dicom.router],
            background=[links.watch, gauges.refresh, probes.probe],
            handlers={MaintenanceStarted: maintenance.started, MaintenanceEnded: maintenance.ended},
        )
    )
