"""Prometheus metrics: RED for HTTP and handlers, outbox lag, DLQ depth, consumers, database commands."""

from __future__ import annotations

import contextvars

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from pymongo import monitoring

from pacs_kit import build

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    """One registry per service instance, so several apps can live in one test process."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        labels = {"service": service}
        self.http_requests = Counter(
            "pacs_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "pacs_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.messages = Counter(
            "pacs_handler_messages_total",
            "Consumed events by type and outcome (handled, duplicate, failed, dead_lettered)",
            ["event_type", "outcome"],
            registry=self.registry,
        )
        self.handler_duration = Histogram(
            "pacs_handler_duration_seconds",
            "Event handler latency",
            ["event_type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.last_handled = Gauge(
            "pacs_handler_last_handled_timestamp_seconds",
            "When an event of the type was last handled (a silent clock shows as an old value)",
            ["event_type"],
            registry=self.registry,
        )
        self.published = Counter(
            "pacs_events_published_total", "Events published with a confirm", ["event_type"], registry=self.registry
        )
        self.outbox_lag = Gauge(
            "pacs_outbox_lag_seconds", "Age of the oldest unpublished event", registry=self.registry
        )
        self.outbox_pending = Gauge("pacs_outbox_pending", "Unpublished events", registry=self.registry)
        self.dlq_depth = Gauge("pacs_dlq_depth", "Messages in the service's dead-letter queue", registry=self.registry)
        self.consumers = Gauge(
            "pacs_queue_consumers", "Consumers attached to the service's queue", registry=self.registry
        )
        self.task_restarts = Counter(
            "pacs_task_restarts_total",
            "Long-lived tasks started again after an unexpected failure",
            ["task"],
            registry=self.registry,
        )
        self.db_commands = Counter(
            "pacs_db_commands_total",
            "Database commands sent, by command and by what caused them (request, event, background)",
            ["command", "origin"],
            registry=self.registry,
        )
        self.info = Gauge("pacs_service_info", "Service identity: its version and the runtime lock it was built from",
                          ["service", "version", "lock"], registry=self.registry)  # fmt: skip
        self.info.labels(**labels, version=build.version(), lock=build.lock_id()).set(1)


# What the work in hand serves, for the database command counter: the HTTP middleware sets "request", the consumer
# "event"; everything else (relays, sweeps, pollers) is "background".
origin: contextvars.ContextVar[str] = contextvars.ContextVar("db_origin", default="background")


class CommandCounter(monitoring.CommandListener):
    """Counts every command the service's database client sends: the cost of a request or event in round trips."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.metrics.db_commands.labels(event.command_name, origin.get()).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
