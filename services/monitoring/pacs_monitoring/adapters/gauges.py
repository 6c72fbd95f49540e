"""Monitoring's Prometheus metrics per site: what is firing now (refreshed from the database in the
background, so every instance shows the estate, and a scrape never waits on a query), and counters
of the samples and transitions this instance handled."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_monitoring.deps import MonitoringDeps

log = logging.getLogger(__name__)


class MonitoringMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.samples = Counter("pacs_monitoring_samples", "Samples ingested (batches and DICOM probes)",
                               ["site_id"], registry=registry)  # fmt: skip
        self.transitions = Counter("pacs_monitoring_transitions", "Rule transitions by outcome",
                                   ["site_id", "outcome"], registry=registry)  # fmt: skip
        self.firing = Gauge("pacs_monitoring_rules_firing", "Hosts on which a rule is firing now",
                            ["site_id", "rule", "problem_class"], registry=registry)  # fmt: skip
        self.pending = Gauge("pacs_monitoring_rules_pending", "Hosts on which a rule waits out its `for`",
                             ["site_id", "rule"], registry=registry)  # fmt: skip
        self.links_silent = Gauge("pacs_monitoring_links_silent", "Site links silent past their allowance",
                                  ["site_id"], registry=registry)  # fmt: skip

    def counted(self, site_id: str, samples: int, outcomes: Tally[str]) -> None:
        self.samples.labels(site_id).inc(samples)
        for outcome, n in outcomes.items():
            self.transitions.labels(site_id, outcome).inc(n)

    def estate(self, states: Iterable[dict[str, object]], silent_links: Iterable[dict[str, object]]) -> None:
        firing: Tally[tuple[str, str, str]] = Tally()
        pending: Tally[tuple[str, str]] = Tally()
        for s in states:
            if s["state"] == "firing":
                firing[(str(s["site_id"]), str(s["rule"]), str(s.get("problem_class", "")))] += 1
            else:
                pending[(str(s["site_id"]), str(s["rule"]))] += 1
        silent = Tally(str(link["site_id"]) for link in silent_links)
        for gauge, counts in ((self.firing, firing), (self.pending, pending), (self.links_silent, silent)):
            gauge.clear()  # a rule that stopped firing must leave the dashboard
            for labels, n in counts.items():
                gauge.labels(*(labels if isinstance(labels, tuple) else (labels,))).set(n)


async def refresh(kit: Kit, deps: MonitoringDeps) -> None:
    every = getattr(kit.settings, "gauge_refresh_seconds", 15.0)
    while True:
        try:
            states = await deps.states.not_ok()
            silent = await deps.links.collection.find({"silent": True}, {"site_id": 1}).to_list()
            deps.metrics.estate(states, silent)
        except Exception as exc:  # stale gauges until the database answers; readiness reports the outage
            log.warning("monitoring gauges not refreshed: %s", exc)
        await asyncio.sleep(every)
