"""Monitoring's Prometheus metrics per site: what is firing now (refreshed from the database in the
background by jobs/refresh_gauges.py, so every instance shows the estate, and a scrape never waits on a
query), and counters of the samples and transitions this instance handled."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

ECHO_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


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
        self.dicom_up = Gauge("pacs_dicom_node_up", "1 when the node answered its last C-ECHO, 0 when not",
                              ["site_id", "node_id"], registry=registry)  # fmt: skip
        self.dicom_echo = Histogram("pacs_dicom_echo_seconds", "C-ECHO round trip of the nodes that answered",
                                    ["site_id"], buckets=ECHO_BUCKETS, registry=registry)  # fmt: skip

    def echoed(self, site_id: str, rtt_seconds: float | None) -> None:
        if rtt_seconds is not None:
            self.dicom_echo.labels(site_id).observe(rtt_seconds)

    def counted(self, site_id: str, samples: int, outcomes: Tally[str]) -> None:
        self.samples.labels(site_id).inc(samples)
        for outcome, n in outcomes.items():
            self.transitions.labels(site_id, outcome).inc(n)

    def estate(self, states: Iterable[dict[str, object]], links: Iterable[dict[str, object]],
               nodes: Iterable[dict[str, Any]] = ()) -> None:  # fmt: skip
        firing: Tally[tuple[str, str, str]] = Tally()
        pending: Tally[tuple[str, str]] = Tally()
        for s in states:
            if s["state"] == "firing":
                firing[(str(s["site_id"]), str(s["rule"]), str(s.get("problem_class", "")))] += 1
            else:
                pending[(str(s["site_id"]), str(s["rule"]))] += 1
        silent: Tally[str] = Tally()
        for link in links:  # every link, so a quiet estate shows zeros rather than nothing
            silent[str(link["site_id"])] += bool(link.get("silent"))
        for gauge, counts in ((self.firing, firing), (self.pending, pending), (self.links_silent, silent)):
            gauge.clear()  # a rule that stopped firing must leave the dashboard
            for labels, n in counts.items():
                gauge.labels(*(labels if isinstance(labels, tuple) else (labels,))).set(n)
        self.dicom_up.clear()  # a deleted node leaves the dashboard
        for node in nodes:
            if node.get("last_probe"):
                self.dicom_up.labels(node["site_id"], node["_id"]).set(1 if node["last_probe"]["up"] else 0)
