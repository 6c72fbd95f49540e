"""Notify's Prometheus metrics: messages by channel and outcome, every provider call, failovers, the time
from the incident to its first message, and the texts refused by the patient-data guard."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from pacs_notify.domain.guard import KINDS

CHANNELS = ("log", "push", "sms", "email")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class NotifyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter("pacs_notify_messages", "Messages by channel and outcome (sent, failed, retry_later)",
                                ["channel", "outcome"], registry=registry)  # fmt: skip
        self.provider_calls = Counter("pacs_notify_provider_calls",
                                      "Provider calls by outcome (sent, transient, permanent, skipped)",
                                      ["channel", "provider", "outcome"], registry=registry)  # fmt: skip
        self.failovers = Counter("pacs_notify_failovers", "Messages accepted by a provider other than the first tried",
                                 ["channel", "provider"], registry=registry)  # fmt: skip
        self.latency = Histogram("pacs_notify_incident_to_message_seconds",
                                 "From the incident's opening or escalation to a provider accepting its first message",
                                 ["channel"], buckets=LATENCY_BUCKETS, registry=registry)  # fmt: skip
        self.refused = Counter("pacs_notify_refused", "Messages refused: they seemed to carry patient identifiers",
                               ["kind"], registry=registry)  # fmt: skip
        self.receipts = Counter("pacs_notify_receipts",
                                "SMS providers' delivery receipts: delivered, undelivered, settled (already final), "
                                "unknown (not sent from here)", ["provider", "outcome"], registry=registry)  # fmt: skip
        # every known series from the start at 0, so that a first failure is an increase (and alerts see it)
        for channel in CHANNELS:
            for outcome in ("sent", "failed", "retry_later"):
                self.messages.labels(channel, outcome)
        for kind in KINDS:
            self.refused.labels(kind)

    def sent(self, channel: str, ok: bool, provider: str | None, attempts: Iterable[dict[str, Any]],
             first_of: Iterable[datetime], at: datetime) -> None:  # fmt: skip
        """One message's outcome; `first_of` holds the cause times of the notifications it carried first."""
        calls = list(attempts)
        self.messages.labels(channel, "sent" if ok else "failed").inc()
        for call in calls:
            self.provider_calls.labels(channel, call.get("provider") or "none", call["outcome"]).inc()
        if ok and provider and calls and calls[0].get("provider") not in (None, provider):
            self.failovers.labels(channel, provider).inc()
        if ok:
            for caused_at in first_of:
                self.latency.labels(channel).observe(max(0.0, (at - caused_at).total_seconds()))

    def deferred(self, channel: str, attempts: Iterable[dict[str, Any]]) -> None:
        self.messages.labels(channel, "retry_later").inc()
        for call in attempts:
            self.provider_calls.labels(channel, call.get("provider") or "none", call["outcome"]).inc()
