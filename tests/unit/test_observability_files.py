"""The dashboards, their cluster copies and the metric catalogue agree with the code that makes them."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from pacs_devstack.dashboards import DASHBOARDS, ROOT, generated, render
from pacs_devstack.stack import SERVICES

CATALOGUE = ROOT / "deploy" / "prometheus" / "README.md"


def registered(registry: CollectorRegistry) -> set[str]:
    """Metric names as a scrape shows them (counters with `_total`)."""
    return {f"{m.name}_total" if m.type == "counter" else m.name for m in registry.collect()}


def documented() -> set[str]:
    return set(re.findall(r"^\| `(pacs_\w+)`", CATALOGUE.read_text(), re.MULTILINE))


@pytest.mark.parametrize("path", sorted(generated()), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_committed_file_is_what_the_source_generates(path: Path) -> None:
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run python -m pacs_devstack.dashboards"
    assert path.read_text(encoding="utf-8") == generated()[path], (
        f"{path.relative_to(ROOT)} differs from its source: run python -m pacs_devstack.dashboards"
    )


def test_every_metric_a_service_serves_is_in_the_catalogue_and_nothing_else() -> None:
    served: set[str] = set()
    for service in SERVICES:
        app = importlib.import_module(f"pacs_{service}.main").create_app()
        served |= registered(app.state.kit.metrics.registry)
    assert served == documented(), (
        f"undocumented: {sorted(served - documented())}; documented but not served: {sorted(documented() - served)}"
    )


def test_every_panel_queries_served_metrics_through_the_datasource_variable() -> None:
    names = documented()
    base = {re.sub(r"_(bucket|sum|count)$", "", n) for n in names} | names
    for dashboard in DASHBOARDS:
        model = render(dashboard)
        assert len({p["id"] for p in model["panels"]}) == len(model["panels"]), f"{dashboard.uid}: panel ids repeat"
        for panel in model["panels"]:
            assert panel["targets"], f"{dashboard.uid} / {panel['title']}: no query"
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}"
                used = set(re.findall(r"\bpacs_\w+", target["expr"]))
                unknown = {u for u in used if re.sub(r"_(bucket|sum|count)$", "", u) not in base}
                assert not unknown, f"{dashboard.uid} / {panel['title']}: no such metric {sorted(unknown)}"


def test_the_dashboards_on_disk_are_valid_json_with_unique_uids() -> None:
    files = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
    uids = [json.loads(f.read_text())["uid"] for f in files]
    assert sorted(uids) == sorted(d.uid for d in DASHBOARDS)
