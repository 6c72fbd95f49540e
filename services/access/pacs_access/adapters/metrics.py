"""The access service's gauges: grants open now and requests waiting for the hospital, refreshed in the
background (a scrape never waits on a query); every instance shows the same values, so dashboards take `max`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge


class AccessMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.open = Gauge("pacs_remote_access_grants_open", "Remote-access grants whose window is open now",
                          registry=registry)  # fmt: skip
        self.waiting = Gauge("pacs_remote_access_requests_waiting", "Requests waiting for the hospital's approval",
                             registry=registry)  # fmt: skip
