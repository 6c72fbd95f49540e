"""Installed software and licences in monitoring, in-process against the real database and broker: a site's agent
reports what its hosts run and which licences it holds; each change is one event on the bus, drift is read against
the site's baseline, and a licence nearly full or nearly expired breaches like a disk."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pacs_contracts.events import LicenceUpdated, MetricBreached, MetricRecovered, SoftwareVersionChanged
from pacs_kit.service import Kit
from pacs_monitoring.deps import MonitoringDeps
from pacs_monitoring.main import create_app
from pacs_monitoring.settings import MonitoringSettings
from pacs_monitoring.usecases.licences import recheck
from tests.integration.conftest import running
from tests.support import bearer

SITE = "SITE-1"


@dataclass
class Monitor:
    client: httpx.AsyncClient
    kit: Kit
    deps: MonitoringDeps
    headers: dict[str, str]  # the agent's: SITE-1's key


@contextlib.asynccontextmanager
async def monitoring(settings_for: Callable[..., Any]) -> AsyncIterator[Monitor]:
    app = create_app(settings_for(MonitoringSettings))
    async with running(app) as client:
        key = await app.state.kit.auth.api_keys.create(SITE, name="agent")
        yield Monitor(client, app.state.kit, app.state.deps, {"X-API-Key": key})


def make_component(component: str, kind: str, version: str) -> dict[str, Any]:
    """One component of a report; the operating system names its product."""
    product = {"product": "RHEL"} if kind == "os" else {}
    return {"component": component, "kind": kind, "version": version, **product}


def make_report(hosts: dict[str, list[tuple[str, str, str]]], site_id: str = SITE) -> dict[str, Any]:
    """A software report: host -> [(component, kind, version)]."""
    listed = [{"host": h, "components": [make_component(*c) for c in components]} for h, components in hosts.items()]
    return {"site_id": site_id, "hosts": listed}


FIRST = {
    "pacs-01": [("pacs-archive", "archive", "7.2.0"), ("os", "os", "8.8"), ("dcmtk", "package", "3.6.7")],
    "pacs-02": [("pacs-archive", "archive", "7.2.1")],
}


async def _told(tap: Any, expected: int) -> list[dict[str, Any]]:
    """Everything the tap holds once the last expected message came. Each test's repeated report is followed by
    reports that do change something, and one service's outbox publishes in commit order: an event the repeat
    should not have caused would have arrived before them, so the count is exact without waiting longer."""
    await tap.at_least(expected, timeout=10, what=f"{expected} events on the bus")
    return list(await tap.drain())


async def test_a_report_tells_each_change_once_and_drift_is_read_against_the_baseline(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(SoftwareVersionChanged.type)
    async with monitoring(settings_for) as m:
        client, agent = m.client, m.headers

        first = await client.post("/api/v1/software", json=make_report(FIRST), headers=agent)
        assert first.status_code == 202, first.text
        assert first.json() == {"site_id": SITE, "components": 4, "changed": 4}
        again = await client.post("/api/v1/software", json=make_report(FIRST), headers=agent)
        assert again.json()["changed"] == 0, "a report equal to the last changes nothing"

        supervisor = bearer(m.kit, "SUP-1", "supervisor")
        baseline = {"components": {"pacs-archive": "7.2.1", "os": "RHEL 8.8", "viewer": "5.1"}}
        assert (await client.put(f"/api/v1/sites/{SITE}/software-baseline", json=baseline,
                                 headers=agent)).status_code == 403  # fmt: skip
        put = await client.put(f"/api/v1/sites/{SITE}/software-baseline", json=baseline, headers=supervisor)
        assert put.status_code == 200, put.text

        view = (await client.get(f"/api/v1/sites/{SITE}/software", headers=agent)).json()
        drift = {
            (h["host"], c["component"]): (c["version"], c["drift"]) for h in view["hosts"] for c in h["components"]
        }
        assert drift == {
            ("pacs-01", "dcmtk"): ("3.6.7", "not in baseline"), ("pacs-01", "os"): ("8.8", "as baseline"),
            ("pacs-01", "pacs-archive"): ("7.2.0", "behind"), ("pacs-02", "pacs-archive"): ("7.2.1", "as baseline"),
        }  # fmt: skip
        assert view["missing"] == [{"component": "viewer", "expected": "5.1", "drift": "missing"}]

        # a partial report: pacs-01's archive upgraded, its other components kept as they were
        upgraded = make_report({"pacs-01": [("pacs-archive", "archive", "7.2.1")]})
        assert (await client.post("/api/v1/software", json=upgraded, headers=agent)).json()["changed"] == 1
        view = (await client.get(f"/api/v1/sites/{SITE}/software", headers=agent)).json()
        (pacs_01,) = [h for h in view["hosts"] if h["host"] == "pacs-01"]
        archive = {c["component"]: c for c in pacs_01["components"]}["pacs-archive"]
        assert (archive["version"], archive["previous_version"], archive["drift"]) == ("7.2.1", "7.2.0", "as baseline")
        assert len(pacs_01["components"]) == 3 and view["drifted"] == 0

        told = await _told(events, 5)
        changes = [(e["payload"]["host"], e["payload"]["component"], e["payload"]["installed_version"],
                    e["payload"]["previous_version"]) for e in told]  # fmt: skip
        assert sorted(changes[:4]) == [("pacs-01", "dcmtk", "3.6.7", None), ("pacs-01", "os", "8.8", None),
                                       ("pacs-01", "pacs-archive", "7.2.0", None),
                                       ("pacs-02", "pacs-archive", "7.2.1", None)]  # fmt: skip
        assert changes[4:] == [("pacs-01", "pacs-archive", "7.2.1", "7.2.0")], "one event per change, none for a repeat"


async def test_a_bad_version_or_another_sites_key_stores_nothing(settings_for: Callable[..., Any]) -> None:
    async with monitoring(settings_for) as m:
        client, agent = m.client, m.headers
        bad = make_report({"pacs-03": [("ris", "ris", "5.0"), ("viewer", "viewer", "latest")]})
        refused = await client.post("/api/v1/software", json=bad, headers=agent)
        assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
        (error,) = refused.json()["errors"]
        assert error["field"] == "hosts.0.components.1.version" and "'latest' is not a version" in error["message"]

        elsewhere = await client.post("/api/v1/software", json=make_report(FIRST, site_id="SITE-2"), headers=agent)
        assert elsewhere.status_code == 403
        assert (await client.get("/api/v1/sites/SITE-2/software", headers=agent)).status_code == 403
        licences = {"site_id": "SITE-2", "licences": [{"licence": "feature:3d-viewer"}]}
        assert (await client.post("/api/v1/licences", json=licences, headers=agent)).status_code == 403
        assert (await client.get("/api/v1/sites/SITE-2/licences", headers=agent)).status_code == 403

        admin = bearer(m.kit, "ops", "admin")
        view = (await client.get(f"/api/v1/sites/{SITE}/software", headers=admin)).json()
        assert view["hosts"] == [] and await m.deps.installed.collection.count_documents({}) == 0


async def test_a_licence_nearly_full_or_nearly_expired_breaches_like_a_disk(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(MetricBreached.type, MetricRecovered.type, LicenceUpdated.type)
    async with monitoring(settings_for) as m:
        client, agent = m.client, m.headers
        now = datetime.now(UTC)
        archive = {"licence": "capacity:archive-tb", "capacity": 200, "used": 190,
                   "expires_at": (now + timedelta(days=400)).isoformat()}  # fmt: skip
        viewer = {"licence": "feature:3d-viewer", "expires_at": (now + timedelta(days=10, hours=1)).isoformat()}
        routing = {"licence": "feature:auto-routing", "expires_at": (now + timedelta(days=40)).isoformat()}
        body = {"site_id": SITE, "licences": [archive, viewer, routing]}

        first = await client.post("/api/v1/licences", json=body, headers=agent)
        assert first.status_code == 202, first.text
        assert first.json() == {"site_id": SITE, "licences": 3, "changed": 3, "breaches": 2, "recoveries": 0,
                                "held": 0}  # fmt: skip
        again = (await client.post("/api/v1/licences", json=body, headers=agent)).json()
        assert (again["changed"], again["breaches"]) == (0, 0), "the same report again is no news"

        shown = (await client.get(f"/api/v1/sites/{SITE}/licences", headers=agent)).json()["licences"]
        by_name = {x["licence"]: x for x in shown}
        assert (by_name["capacity:archive-tb"]["used_percent"], by_name["capacity:archive-tb"]["days_left"]) == (
            95.0, 399)  # fmt: skip
        assert by_name["feature:3d-viewer"]["days_left"] == 10 and by_name["feature:3d-viewer"]["used_percent"] is None

        freed = {"site_id": SITE, "licences": [{**archive, "used": 150}]}
        assert (await client.post("/api/v1/licences", json=freed, headers=agent)).json()["recoveries"] == 1

        # nobody reports auto-routing again: its expiry is looked at on the timer, here 15 days on
        later = now + timedelta(days=15)
        due = await m.deps.licences.due(later, limit=10)
        assert {d["licence"] for d in due} >= {"feature:auto-routing"}
        assert (await recheck(m.kit, m.deps, due, later))["breaches"] == 1

        told = await _told(events, 8)
        updates = [e["payload"]["licence"] for e in told if e["type"] == LicenceUpdated.type]
        assert sorted(updates) == ["capacity:archive-tb", "capacity:archive-tb", "feature:3d-viewer",
                                   "feature:auto-routing"]  # fmt: skip
        alarms = [(e["type"], e["payload"]["host"], e["payload"]["rule"], e["payload"].get("problem_class"))
                  for e in told if e["type"] != LicenceUpdated.type]  # fmt: skip
        assert sorted(alarms[:2]) == [
            ("metric.breached", "capacity:archive-tb", "licence-capacity", "licence"),
            ("metric.breached", "feature:3d-viewer", "licence-expiry", "licence"),
        ]  # fmt: skip
        assert alarms[2:] == [("metric.recovered", "capacity:archive-tb", "licence-capacity", None),
                              ("metric.breached", "feature:auto-routing", "licence-expiry", "licence")]  # fmt: skip
