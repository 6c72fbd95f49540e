"""The Grafana dashboards and the cluster's copies of them and of the platform rules, built from one place.

`python -m pacs_devstack.dashboards` writes `deploy/grafana/dashboards/*.json` (file provisioning),
`deploy/k8s/base/grafana-dashboards.yaml` (ConfigMaps for Grafana's sidecar) and
`deploy/k8s/base/prometheus-rules.yaml` (a PrometheusRule holding `deploy/prometheus/rules/*.yml`).
A test fails when the committed files differ from what this prints.

Gauges read back from a database (open incidents, rules firing, DICOM nodes up) are the same on
every instance of a service, so the queries take `max without (instance, pod)` before summing.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
ONE = "max without (instance, pod)"  # one copy of a database-derived gauge
RATE = "$__rate_interval"


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[tuple[str, str], ...]  # (expr, legend)
    kind: str = "timeseries"  # timeseries, stat, table, bargauge
    unit: str = "short"
    description: str = ""
    width: int = 12


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    variables: tuple[tuple[str, str, str], ...] = ()  # (name, label, query)
    tags: tuple[str, ...] = field(default=("pacs",))


def p(title: str, *queries: tuple[str, str], **options: Any) -> Panel:
    return Panel(title, queries, **options)


def quantile(q: float, metric: str, by: str = "", where: str = "") -> str:
    labels = f"{by}, le" if by else "le"
    return f"histogram_quantile({q}, sum by ({labels}) (rate({metric}_bucket{{{where}}}[{RATE}])))"


REGION = ("region", "Region", "label_values(pacs_incidents_open, region)")
SITE = ("site", "Site", "label_values(pacs_site_software_budget_left_minutes, site_id)")

OVERVIEW = Dashboard(
    "pacs-overview",
    "PACS Service Ops — Operations overview",
    "What needs attention now: open incidents, SLA at risk, breaches today, the estate firing.",
    (
        p("Open incidents", (f'sum({ONE} (pacs_incidents_open{{region=~"$region"}}))', "open"), kind="stat", width=6),
        p(
            "SLA at risk",
            (f'sum({ONE} (pacs_incidents_sla_at_risk{{region=~"$region"}}))', "at risk"),
            kind="stat",
            width=6,
            description="Open incidents with a clock breached, or a response due within 30 minutes",
        ),
        p("SLA breaches today", ("sum(increase(pacs_sla_breaches_total[24h]))", "breaches"), kind="stat", width=6),
        p("Rules firing on the estate", (f"sum({ONE} (pacs_monitoring_rules_firing))", "firing"), kind="stat", width=6),
        p(
            "Open incidents by tier",
            (f'sum by (tier) ({ONE} (pacs_incidents_open{{region=~"$region"}}))', "{{tier}}"),
            kind="bargauge",
        ),
        p(
            "Incidents opened per hour by severity",
            ("sum by (severity) (increase(pacs_incidents_opened_total[1h]))", "{{severity}}"),
        ),
        p(
            "Faults accepted from hospitals",
            (
                f'sum(rate(pacs_http_requests_total{{service="intake", route="/api/v1/faults", status="202"}}'
                f"[{RATE}]))",
                "faults/s",
            ),
            unit="reqps",
        ),
        p(
            "Escalations per hour by tier reached",
            ("sum by (to_tier) (increase(pacs_escalations_total[1h]))", "{{to_tier}}"),
        ),
    ),
    (REGION,),
)

SLA = Dashboard(
    "pacs-sla",
    "PACS Service Ops — SLA and escalation",
    "Contract compliance per region and tier over 30 days, time to acknowledge and resolve, escalations.",
    (
        p(
            "Response compliance, 30 days",
            (f'{ONE} (pacs_sla_compliance_ratio{{region=~"$region", clock="response"}})', "{{region}} {{tier}}"),
            kind="table",
            unit="percentunit",
        ),
        p(
            "On-site compliance, 30 days",
            (f'{ONE} (pacs_sla_compliance_ratio{{region=~"$region", clock="on_site"}})', "{{region}} {{tier}}"),
            kind="table",
            unit="percentunit",
        ),
        p(
            "Time to acknowledge (MTTA)",
            (quantile(0.5, "pacs_incident_time_to_acknowledge_seconds"), "p50"),
            (quantile(0.9, "pacs_incident_time_to_acknowledge_seconds"), "p90"),
            unit="s",
        ),
        p(
            "Time to resolve (MTTR)",
            (quantile(0.5, "pacs_incident_time_to_resolve_seconds"), "p50"),
            (quantile(0.9, "pacs_incident_time_to_resolve_seconds"), "p90"),
            unit="s",
        ),
        p(
            "Mean time to acknowledge, 24 h",
            (
                "sum(increase(pacs_incident_time_to_acknowledge_seconds_sum[24h]))"
                " / sum(increase(pacs_incident_time_to_acknowledge_seconds_count[24h]))",
                "MTTA",
            ),
            kind="stat",
            unit="s",
            width=6,
        ),
        p(
            "Mean time to resolve, 24 h",
            (
                "sum(increase(pacs_incident_time_to_resolve_seconds_sum[24h]))"
                " / sum(increase(pacs_incident_time_to_resolve_seconds_count[24h]))",
                "MTTR",
            ),
            kind="stat",
            unit="s",
            width=6,
        ),
        p(
            "Escalations by tier, 24 h",
            ("sum by (from_tier, to_tier) (increase(pacs_escalations_total[24h]))", "{{from_tier}} → {{to_tier}}"),
            kind="bargauge",
        ),
        p("SLA breaches by clock", ("sum by (clock) (increase(pacs_sla_breaches_total[1h]))", "{{clock}}")),
        p(
            "Open incidents by region and tier",
            (f'sum by (region, tier) ({ONE} (pacs_incidents_open{{region=~"$region"}}))', "{{region}} {{tier}}"),
            kind="table",
        ),
    ),
    (REGION,),
)

ESTATE = Dashboard(
    "pacs-estate",
    "PACS Service Ops — Estate health",
    "The installed base: rules firing, DICOM reachability, links, availability, remote access, releases and upgrades.",
    (
        p(
            "Sites reporting samples",
            ("count(count by (site_id) (pacs_monitoring_samples_total))", "sites"),
            kind="stat",
            width=6,
        ),
        p(
            "DICOM nodes down",
            (f'count({ONE} (pacs_dicom_node_up{{site_id=~"$site"}}) == 0) or vector(0)', "down"),
            kind="stat",
            width=6,
            description="0 when every node answered its last C-ECHO",
        ),
        p(
            "Silent remote links",
            (f'sum({ONE} (pacs_monitoring_links_silent{{site_id=~"$site"}}))', "silent"),
            kind="stat",
            width=6,
        ),
        p(
            "Software downtime budget left",
            (f'min({ONE} (pacs_site_software_budget_left_minutes{{site_id=~"$site"}}))', "least left"),
            kind="stat",
            unit="m",
            width=6,
        ),
        p(
            "Rules firing by site and rule",
            (
                f'sum by (site_id, rule) ({ONE} (pacs_monitoring_rules_firing{{site_id=~"$site"}}))',
                "{{site_id}} {{rule}}",
            ),
            kind="table",
        ),
        p(
            "DICOM reachability",
            (f'{ONE} (pacs_dicom_node_up{{site_id=~"$site"}})', "{{site_id}} {{node_id}}"),
            kind="table",
        ),
        p(
            "DICOM C-ECHO round trip, p95",
            (quantile(0.95, "pacs_dicom_echo_seconds", "site_id", 'site_id=~"$site"'), "{{site_id}}"),
            unit="s",
        ),
        p(
            "Samples ingested per site",
            (f'sum by (site_id) (rate(pacs_monitoring_samples_total{{site_id=~"$site"}}[{RATE}]))', "{{site_id}}"),
            unit="ops",
        ),
        p(
            "Downtime this year by site and cause",
            (f'{ONE} (pacs_site_downtime_minutes{{site_id=~"$site"}})', "{{site_id}} {{cause}}"),
            kind="table",
            unit="m",
        ),
        p(
            "Remote link state",
            (f'{ONE} (pacs_monitoring_links_silent{{site_id=~"$site"}})', "{{site_id}}"),
            kind="table",
            description="1 when the site's link is silent past its allowance",
        ),
        p(
            "Remote-access grants",
            (f"{ONE} (pacs_remote_access_grants_open)", "open now"),
            (f"{ONE} (pacs_remote_access_requests_waiting)", "waiting for the hospital"),
            kind="stat",
            width=6,
            description="Grants whose window is open now, and requests the hospital has not decided yet",
        ),
        p(
            "Upgrade campaigns",
            (f"{ONE} (pacs_upgrade_campaigns)", "{{state}}"),
            kind="stat",
            width=6,
            description="Campaigns active (rolling out), paused (by failures or a short wave) and completed",
        ),
        p(
            "Sites of active campaigns by state",
            (f"{ONE} (pacs_upgrade_campaign_sites)", "{{state}}"),
            kind="bargauge",
            description="Where the sites of the campaigns rolling out now stand, from proposed to verified or failed",
        ),
        p(
            "Sites behind the latest release",
            ("max by (product) (pacs_sites_behind_latest_release)", "{{product}}"),
            kind="bargauge",
            description="Per product, sites with a host on a version older than its newest release in the catalogue; "
            "a version that does not order against it is not counted",
        ),
        p(
            "Sites behind the latest release, by kind",
            (f"{ONE} (pacs_sites_behind_latest_release)", "{{product}} {{kind}}"),
            kind="table",
            description="Per product, sites behind its newest patch, hotfix, upgrade and OS patch",
        ),
    ),
    (SITE,),
)

NOTIFY = Dashboard(
    "pacs-notify",
    "PACS Service Ops — Notification delivery",
    "How fast and how surely engineers are reached: latency, outcomes, provider failures and failover.",
    (
        p(
            "Incident to first message",
            (quantile(0.5, "pacs_notify_incident_to_message_seconds", "channel"), "p50 {{channel}}"),
            (quantile(0.99, "pacs_notify_incident_to_message_seconds", "channel"), "p99 {{channel}}"),
            unit="s",
        ),
        p(
            "Messages by channel and outcome",
            ("sum by (channel, outcome) (increase(pacs_notify_messages_total[1h]))", "{{channel}} {{outcome}}"),
        ),
        p(
            "Provider calls by outcome",
            (
                f"sum by (provider, outcome) (rate(pacs_notify_provider_calls_total[{RATE}]))",
                "{{provider}} {{outcome}}",
            ),
            unit="ops",
        ),
        p(
            "Failovers to a later provider",
            ("sum by (channel, provider) (increase(pacs_notify_failovers_total[1h]))", "{{channel}} → {{provider}}"),
        ),
        p(
            "Messages failed on every provider, 24 h",
            ('sum by (channel) (increase(pacs_notify_messages_total{outcome="failed"}[24h]))', "{{channel}}"),
            kind="stat",
        ),
        p(
            "Texts refused by the patient-data guard",
            ("sum by (kind) (pacs_notify_refused_total)", "{{kind}}"),
            kind="stat",
        ),
    ),
)

PLATFORM = Dashboard(
    "pacs-platform",
    "PACS Service Ops — Platform",
    "RED per service and handler, outbox lag, dead letters, consumers, the contract clock.",
    (
        p("Services up", ('up{job="pacs"}', "{{service}} {{instance}}"), kind="table"),
        p(
            "Requests by service",
            (f"sum by (service) (rate(pacs_http_requests_total[{RATE}]))", "{{service}}"),
            unit="reqps",
        ),
        p(
            "5xx share by service",
            (
                f'(sum by (service) (rate(pacs_http_requests_total{{status=~"5.."}}[{RATE}]))'
                f" or sum by (service) (rate(pacs_http_requests_total[{RATE}])) * 0)"
                f" / sum by (service) (rate(pacs_http_requests_total[{RATE}]))",
                "{{service}}",
            ),
            unit="percentunit",
        ),
        p(
            "Request latency p99",
            (quantile(0.99, "pacs_http_request_duration_seconds", "service"), "{{service}}"),
            unit="s",
        ),
        p(
            "Events handled",
            (
                f"sum by (service, event_type, outcome) (rate(pacs_handler_messages_total[{RATE}]))",
                "{{service}} {{event_type}} {{outcome}}",
            ),
            unit="ops",
        ),
        p(
            "Handler latency p99",
            (quantile(0.99, "pacs_handler_duration_seconds", "service, event_type"), "{{service}} {{event_type}}"),
            unit="s",
        ),
        p(
            "Events published",
            (f"sum by (service, event_type) (rate(pacs_events_published_total[{RATE}]))", "{{service}} {{event_type}}"),
            unit="ops",
        ),
        p("Outbox lag", ("max by (service) (pacs_outbox_lag_seconds)", "{{service}}"), unit="s"),
        p("Outbox waiting", ("max by (service) (pacs_outbox_pending)", "{{service}}")),
        p("Dead-letter queue depth", ("max by (service) (pacs_dlq_depth)", "{{service}}")),
        p("Consumers per queue", ("max by (service) (pacs_queue_consumers)", "{{service}}")),
        p(
            "Since the last sla.tick",
            ('time() - max(pacs_handler_last_handled_timestamp_seconds{event_type="sla.tick"})', "age"),
            kind="stat",
            unit="s",
            description="Alert PacsClockStopped fires past 10 s",
        ),
        p("Clock sweep p99", (quantile(0.99, "pacs_clock_sweep_seconds"), "sweep"), unit="s"),
    ),
)

DASHBOARDS = (OVERVIEW, SLA, ESTATE, NOTIFY, PLATFORM)


def _panel(panel: Panel, index: int, x: int, y: int) -> dict[str, Any]:
    height = 5 if panel.kind == "stat" else 8
    return {
        "id": index + 1, "type": panel.kind, "title": panel.title, "description": panel.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"]}} if panel.kind in ("stat", "bargauge") else {},
        "targets": [
            {"refId": chr(ord("A") + n), "expr": expr, "legendFormat": legend,
             "instant": panel.kind in ("table", "bargauge"), "range": panel.kind not in ("table", "bargauge"),
             "datasource": {"type": "prometheus", "uid": "${datasource}"}}
            for n, (expr, legend) in enumerate(panel.queries)
        ],
    }  # fmt: skip


def _layout(panels: tuple[Panel, ...]) -> list[dict[str, Any]]:
    placed, x, y, row_height = [], 0, 0, 0
    for index, panel in enumerate(panels):
        if x + panel.width > 24:
            x, y, row_height = 0, y + row_height, 0
        placed.append(_panel(panel, index, x, y))
        x += panel.width
        row_height = max(row_height, placed[-1]["gridPos"]["h"])
    return placed


def _variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name, "label": label, "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "query": {"query": query, "refId": f"{name}-values"}, "definition": query, "refresh": 2,
        "includeAll": True, "allValue": ".*", "multi": True, "current": {"text": "All", "value": "$__all"},
        "sort": 1,
    }  # fmt: skip


def render(dashboard: Dashboard) -> dict[str, Any]:
    """One dashboard as Grafana's JSON model."""
    source = {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
              "current": {}, "hide": 0}  # fmt: skip
    return {
        "uid": dashboard.uid, "title": dashboard.title, "description": dashboard.description,
        "tags": list(dashboard.tags), "timezone": "browser", "schemaVersion": 39, "version": 1, "editable": True,
        "refresh": "30s", "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [source, *(_variable(*v) for v in dashboard.variables)]},
        "panels": _layout(dashboard.panels),
        "links": [{"title": "PACS Service Ops", "type": "dashboards", "tags": ["pacs"], "asDropdown": True}],
    }  # fmt: skip


def dashboard_files() -> dict[Path, str]:
    return {
        ROOT / "deploy" / "grafana" / "dashboards" / f"{d.uid}.json": json.dumps(render(d), indent=2,
                                                                                ensure_ascii=False) + "\n"
        for d in DASHBOARDS
    }  # fmt: skip


def _yaml(documents: list[dict[str, Any]], header: str) -> str:
    body = yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, width=120)
    return f"# {header}\n# Generated by `python -m pacs_devstack.dashboards`: edit the source, not this file.\n{body}"


def cluster_files() -> dict[Path, str]:
    base = ROOT / "deploy" / "k8s" / "base"
    maps = [{
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": f"grafana-dashboard-{d.uid}", "labels": {"grafana_dashboard": "1"}},
        "data": {f"{d.uid}.json": json.dumps(render(d), ensure_ascii=False)},
    } for d in DASHBOARDS]  # fmt: skip
    groups = []
    for path in sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml")):
        groups += yaml.safe_load(path.read_text())["groups"]
    rule = {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": "pacs-platform", "labels": {"app.kubernetes.io/part-of": "pacs-service-ops"}},
        "spec": {"groups": groups},
    }  # fmt: skip
    return {
        base / "grafana-dashboards.yaml": _yaml(maps, "The Grafana dashboards, for its sidecar (grafana_dashboard)."),
        base / "prometheus-rules.yaml": _yaml([rule], "The platform's recording and alerting rules."),
    }


def generated() -> dict[Path, str]:
    return dashboard_files() | cluster_files()


def main() -> None:
    for path, text in generated().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
