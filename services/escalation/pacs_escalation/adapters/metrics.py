"""Escalation's Prometheus metrics.

Counters and histograms count the events this instance published (kit relay observers): incidents
opened, escalations, breaches, time to acknowledge and to resolve; summed over instances they are
the platform's. Gauges describe the estate as the database holds it, refreshed in the background
by jobs/refresh_gauges.py (a scrape never waits on a query); every instance shows the same values,
so dashboards take `max`.
"""

from __future__ import annotations

import itertools
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from pacs_contracts import Envelope
from pacs_contracts.common import Severity, Tier
from pacs_escalation.domain.sla import at_risk

# minutes to days: a 2-hour response promise sits in the middle
RESPONSE_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200)
SWEEP_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class EscalationMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.opened = Counter("pacs_incidents_opened", "Incidents opened", ["tier", "severity"], registry=registry)
        self.escalations = Counter("pacs_escalations", "Escalations by the tier left and the tier reached",
                                   ["from_tier", "to_tier"], registry=registry)  # fmt: skip
        self.breaches = Counter("pacs_sla_breaches", "Contract clocks breached", ["clock"], registry=registry)
        self.to_acknowledge = Histogram("pacs_incident_time_to_acknowledge_seconds", "From opening to acknowledgement",
                                        buckets=RESPONSE_BUCKETS, registry=registry)  # fmt: skip
        self.to_resolve = Histogram("pacs_incident_time_to_resolve_seconds", "From opening to resolution",
                                    buckets=RESPONSE_BUCKETS, registry=registry)  # fmt: skip
        self.clock_sweep = Histogram("pacs_clock_sweep_seconds", "One sweep of the contract clocks, commit included",
                                     buckets=SWEEP_BUCKETS, registry=registry)  # fmt: skip
        self.open = Gauge("pacs_incidents_open", "Incidents open now", ["site_id", "region", "tier", "state"],
                          registry=registry)  # fmt: skip
        self.at_risk = Gauge("pacs_incidents_sla_at_risk",
                             "Open incidents with a clock breached, or a response due within 30 minutes",
                             ["region", "tier"], registry=registry)  # fmt: skip
        self.compliance = Gauge("pacs_sla_compliance_ratio",
                                "Share of the last 30 days' incidents whose clock was kept",
                                ["region", "tier", "clock"], registry=registry)  # fmt: skip
        self.down = Gauge("pacs_site_downtime_minutes", "Whole-system downtime this year", ["site_id", "cause"],
                          registry=registry)  # fmt: skip
        self.budget_left = Gauge("pacs_site_software_budget_left_minutes", "Software downtime budget left this year",
                                 ["site_id"], registry=registry)  # fmt: skip
        # every known series from the start at 0, so that a first breach is an increase (and alerts see it)
        for clock in ("response", "on_site"):
            self.breaches.labels(clock)
        for lower, upper in itertools.pairwise(Tier):
            self.escalations.labels(lower.value, upper.value)
        for severity in Severity:
            self.opened.labels(Tier.L1.value, severity.value)
        self._observers: dict[str, Callable[[dict[str, Any]], None]] = {
            "incident.opened": lambda p: self.opened.labels(p["tier"], p["severity"]).inc(),
            "incident.escalated": lambda p: self.escalations.labels(p["from_tier"], p["to_tier"]).inc(),
            "sla.breached": lambda p: self.breaches.labels(p["clock"]).inc(),
            "incident.acknowledged": lambda p: _since_opened(self.to_acknowledge, p, "acknowledged_at"),
            "incident.resolved": lambda p: _since_opened(self.to_resolve, p, "resolved_at"),
        }

    def published(self, envelope: Envelope) -> None:
        observe = self._observers.get(envelope.type)
        if observe is not None:
            observe(envelope.payload)

    def incidents(self, open_now: Iterable[dict[str, Any]], recent: Iterable[dict[str, Any]], now: datetime) -> None:
        """The open incidents, those at risk, and the compliance of the recent ones, from their documents."""
        open_counts: Tally[tuple[str, str, str, str]] = Tally()
        risk: Tally[tuple[str, str]] = Tally()
        for i in open_now:
            open_counts[(i["site_id"], i["region"], i["tier"], i["state"])] += 1
            if at_risk(i, now):
                risk[(i["region"], i["tier"])] += 1
        kept: Tally[tuple[str, str, str]] = Tally()
        subject: Tally[tuple[str, str, str]] = Tally()
        for i in recent:
            for clock in _clocks_of(i):
                subject[(i["region"], i["tier"], clock)] += 1
                kept[(i["region"], i["tier"], clock)] += clock not in i.get("breached_clocks", [])
        for gauge in (self.open, self.at_risk, self.compliance):
            gauge.clear()  # a region or tier without incidents leaves the dashboard
        for (site_id, region, tier, state), n in open_counts.items():
            self.open.labels(site_id, region, tier, state).set(n)
        for (region, tier), n in risk.items():
            self.at_risk.labels(region, tier).set(n)
        for clocked, n in subject.items():
            self.compliance.labels(*clocked).set(kept[clocked] / n)


def _since_opened(histogram: Histogram, payload: dict[str, Any], field: str) -> None:
    if payload.get("opened_at"):  # events from before `opened_at` was carried are not timed
        opened, done = datetime.fromisoformat(payload["opened_at"]), datetime.fromisoformat(payload[field])
        histogram.observe(max(0.0, (done - opened).total_seconds()))


def _clocks_of(incident: dict[str, Any]) -> list[str]:
    """The clocks an incident was held to: the response always, on site once it was asked for."""
    return ["response", "on_site"] if incident.get("on_site_required_at") else ["response"]
