"""Site keys and the first monitoring rule, in-process against the real database and broker."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pacs_contracts import Envelope
from pacs_contracts.events import MaintenanceEnded, MaintenanceStarted, MetricBreached, MetricRecovered
from pacs_kit.auth import ApiKeys
from pacs_kit.service import Kit
from pacs_monitoring.deps import MonitoringDeps
from pacs_monitoring.main import create_app
from pacs_monitoring.settings import MonitoringSettings
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish


def _batch(site_id: str, value: float, host: str = "pacs-db-01") -> dict[str, Any]:
    samples = [{"host": host, "name": "cpu_load", "value": 0.5}] * 50
    samples.append({"host": host, "name": "disk_used_percent", "labels": {"mount": "/"}, "value": value})
    return {"site_id": site_id, "samples": samples}


@dataclass
class Monitor:
    """Monitoring running in-process, with a key of SITE-1 as its agents would use it."""

    client: httpx.AsyncClient
    kit: Kit
    deps: MonitoringDeps
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


@contextlib.asynccontextmanager
async def monitoring(settings_for: Callable[..., Any], **settings: Any) -> AsyncIterator[Monitor]:
    app = create_app(settings_for(MonitoringSettings, **settings))
    async with running(app) as client:
        key = await app.state.kit.auth.api_keys.create("SITE-1", name="agent")
        yield Monitor(client, app.state.kit, app.state.deps, key)


async def test_disk_breach_is_published_once_per_transition(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(MetricBreached.type, MetricRecovered.type)
    async with monitoring(settings_for) as m:
        client, headers = m.client, m.headers
        outcomes = []
        for value in (95.0, 97.0, 87.0, 80.0):
            response = await client.post("/api/v1/metrics", json=_batch("SITE-1", value), headers=headers)
            assert response.status_code == 202, response.text
            outcomes.append((response.json()["breaches"], response.json()["recoveries"]))
        assert outcomes == [(1, 0), (0, 0), (0, 0), (0, 1)]

        received = await events.at_least(2, timeout=10, what="breach and recovery on the bus")
        assert [m["type"] for m in received] == [
            "metric.breached",
            "metric.recovered",
        ]
        breach = events.received[0]["payload"]
        assert (breach["site_id"], breach["host"], breach["rule"]) == ("SITE-1", "pacs-db-01", "system-disk-full")

        other = await client.post("/api/v1/metrics", json=_batch("SITE-2", 99.0), headers=headers)
        assert other.status_code == 403


async def test_keys_are_stored_hashed_and_can_be_revoked_or_expire(settings_for: Callable[..., Any]) -> None:
    async with monitoring(settings_for) as m:
        client, key = m.client, m.key
        keys: ApiKeys = m.kit.auth.api_keys
        stored = await keys.collection.find_one({"site_id": "SITE-1"})
        assert stored is not None and key.split("_", 2)[2] not in str(stored), "no plain secret at rest"

        async def status(k: str) -> int:
            return (
                await client.post("/api/v1/metrics", json=_batch("SITE-1", 1.0), headers={"X-API-Key": k})
            ).status_code

        assert await status(key) == 202
        assert await status(key[:-2] + "xx") == 401
        assert await keys.revoke(key.split("_")[1])
        assert await status(key) == 401
        expired = await keys.create("SITE-1", name="old", expires_in=timedelta(seconds=-1))
        assert await status(expired) == 401


async def test_a_maintenance_window_holds_breaches_of_its_host_until_it_ends(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(MetricBreached.type, MetricRecovered.type)
    async with monitoring(settings_for) as m:
        client, deps, headers = m.client, m.deps, m.headers

        async def post(host: str, value: float) -> dict[str, Any]:
            response = await client.post("/api/v1/metrics", json=_batch("SITE-1", value, host), headers=headers)
            assert response.status_code == 202, response.text
            return {k: response.json()[k] for k in ("breaches", "recoveries", "held")}

        until = datetime.now(UTC) + timedelta(hours=1)
        start = MaintenanceStarted(window_id="MW-1", site_id="SITE-1", host="pacs-db-01", ends_at=until)
        await publish(amqp_url, namespace, Envelope.wrap(start, producer="scheduler"))

        async def holding() -> bool:
            return "pacs-db-01" in await deps.maintenance.hosts_held("SITE-1")

        await eventually(holding, timeout=10, what="the window known to monitoring")
        assert await post("pacs-db-01", 96.0) == {"breaches": 0, "recoveries": 0, "held": 1}
        assert await post("pacs-web-01", 96.0) == {"breaches": 1, "recoveries": 0, "held": 0}
        assert await post("pacs-db-01", 80.0) == {"breaches": 0, "recoveries": 0, "held": 0}, "its recovery is no news"
        assert await post("pacs-db-01", 97.0) == {"breaches": 0, "recoveries": 0, "held": 1}
        health = (await client.get("/api/v1/sites/SITE-1/health", headers=headers)).json()
        held = {(r["host"], r["state"], r["announced"]) for r in health["rules"]}
        assert ("pacs-db-01", "firing", False) in held and ("pacs-web-01", "firing", True) in held
        assert health["maintenance"] == ["MW-1"] and health["firing"] == 2

        end = MaintenanceEnded(window_id="MW-1", site_id="SITE-1", host="pacs-db-01")
        await publish(amqp_url, namespace, Envelope.wrap(end, producer="scheduler"))

        async def released() -> bool:
            return not await deps.maintenance.hosts_held("SITE-1")

        await eventually(released, timeout=10, what="the window's end known to monitoring")
        # still firing after the window: told now, once
        assert await post("pacs-db-01", 93.0) == {"breaches": 1, "recoveries": 0, "held": 0}
        assert await post("pacs-db-01", 94.0) == {"breaches": 0, "recoveries": 0, "held": 0}

        received = await events.at_least(2, timeout=10, what="the breaches that were told")
        assert [(m["type"], m["payload"]["host"]) for m in received] == [
            ("metric.breached", "pacs-web-01"), ("metric.breached", "pacs-db-01"),
        ]  # fmt: skip


def _alertmanager(*alerts: tuple[str, str, dict[str, str]]) -> dict[str, Any]:
    """A version-4 webhook payload as Alertmanager sends it: (status, alertname, extra labels) per alert."""
    return {
        "version": "4", "groupKey": '{}:{alertname="PacsDown"}', "truncatedAlerts": 0, "receiver": "pso",
        "status": "firing" if any(a[0] == "firing" for a in alerts) else "resolved",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
        "alerts": [{
            "status": status, "labels": {"alertname": name, **labels}, "annotations": {"summary": "s"},
            "startsAt": "2026-11-26T01:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prom:9090/graph", "fingerprint": f"fp-{name}",
        } for status, name, labels in alerts],
    }  # fmt: skip


async def test_alertmanager_alerts_feed_the_same_breaches(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(MetricBreached.type, MetricRecovered.type)
    async with monitoring(settings_for) as m:
        client = m.client
        as_am = {"Authorization": f"Bearer {m.key}"}  # what Alertmanager's http_config.authorization sends
        down = ("firing", "PacsProcessDown", {"instance": "pacs-app-01:9100", "severity": "critical",
                                              "problem_class": "application"})  # fmt: skip

        async def send(payload: dict[str, Any], headers: dict[str, str] = as_am) -> httpx.Response:
            return await client.post("/api/v1/alertmanager", json=payload, headers=headers)

        first = await send(_alertmanager(down))
        assert first.status_code == 202, first.text
        assert first.json() == {"alerts": 1, "breaches": 1, "recoveries": 0, "held": 0}
        assert (await send(_alertmanager(down))).json()["breaches"] == 0, "a repeat notification is no new breach"
        cleared = await send(_alertmanager(("resolved", *down[1:])))
        assert cleared.json()["recoveries"] == 1

        received = await events.at_least(2, timeout=10, what="breach and recovery from Alertmanager")
        assert [m["type"] for m in received] == ["metric.breached", "metric.recovered"]
        breach = received[0]["payload"]
        assert (breach["host"], breach["rule"], breach["problem_class"], breach["severity"]) == (
            "pacs-app-01", "PacsProcessDown", "application", "critical"
        )  # fmt: skip

        no_host = await send(_alertmanager(("firing", "Odd", {})))
        assert no_host.status_code == 422 and "instance" in no_host.json()["detail"]
        old = {**_alertmanager(down), "version": "3"}
        assert (await send(old)).status_code == 422
        other_site = await send(_alertmanager(("firing", "X", {"host": "h", "site_id": "SITE-2"})))
        assert other_site.status_code == 403
        assert (await send(_alertmanager(down), {"Authorization": "Bearer pso_x_y"})).status_code == 401


async def test_a_silent_link_is_a_breach_and_its_next_heartbeat_the_recovery(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(MetricBreached.type, MetricRecovered.type)
    async with monitoring(settings_for) as m:
        client, headers = m.client, m.headers
        beat = {"site_id": "SITE-1", "link": "remote-access", "allowance": "PT2S"}
        first = await client.post("/api/v1/heartbeats", json=beat, headers=headers)
        assert first.status_code == 202 and first.json()["recovered"] is False, first.text
        # the allowance runs from the beat as the service took it, which the answer gives as `silent_after`
        answered = datetime.fromisoformat(first.json()["silent_after"])
        silent_after = answered.replace(microsecond=answered.microsecond // 1000 * 1000)  # as the database keeps it

        breached = await events.at_least(1, timeout=15, what="the silent link declared")
        declared = datetime.fromisoformat(breached[0]["occurred_at"])
        assert declared >= silent_after, f"declared silent at {declared}, before its allowance ended at {silent_after}"
        payload = breached[0]["payload"]
        assert (payload["host"], payload["rule"], payload["problem_class"]) == (
            "remote-access", "link-silent", "remote_link"
        )  # fmt: skip

        back = await client.post("/api/v1/heartbeats", json=beat, headers=headers)
        assert back.json()["recovered"] is True
        received = await events.at_least(2, timeout=10, what="the link's recovery")
        assert [m["type"] for m in received] == ["metric.breached", "metric.recovered"]

        too_short = await client.post("/api/v1/heartbeats", json={**beat, "allowance": "PT0S"}, headers=headers)
        assert too_short.status_code == 422
        assert (
            await client.post("/api/v1/heartbeats", json={**beat, "site_id": "SITE-2"}, headers=headers)
        ).status_code == 403


PACK = """\
rules:
  - name: archive-process-down
    metric: pacs_process_up
    labels: {process: archive}
    op: "<="
    threshold: 0
    clear: 1
    for: PT2S
    severity: critical
    problem_class: application
  - {name: waits, metric: db_wait_event_seconds, op: ">=", threshold: 0, clear: -1, severity: minor,
     problem_class: database, record_only: true}
"""


async def test_the_rule_pack_is_data_checked_by_line_and_for_holds_a_breach_back(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(MetricBreached.type)
    async with monitoring(settings_for) as m:
        client, kit, headers = m.client, m.kit, m.headers
        admin = bearer(kit, "ops", "admin")
        as_yaml = {**admin, "content-type": "application/yaml"}
        shipped = (await client.get("/api/v1/rules", headers=admin)).json()
        assert shipped["source"] == "shipped" and len(shipped["rules"]) >= 15

        broken = PACK.replace('op: "<="', 'op: "<>"')
        refused = await client.put("/api/v1/rules", content=broken, headers=as_yaml)
        assert refused.status_code == 422 and refused.json()["detail"].startswith("line 2: op:"), refused.text
        engineer = bearer(kit, "ENG-1", "engineer")
        assert (await client.put("/api/v1/rules", content=PACK, headers=engineer)).status_code == 403
        accepted = await client.put("/api/v1/rules", content=PACK, headers=as_yaml)
        assert accepted.status_code == 200 and [r["name"] for r in accepted.json()["rules"]] == [
            "archive-process-down", "waits",
        ]  # fmt: skip
        assert (await client.get("/api/v1/rules", headers=admin)).json()["source"] == "custom"

        async def post(name: str, value: float, labels: dict[str, str]) -> dict[str, Any]:
            sample = {"host": "pacs-app-01", "name": name, "labels": labels, "value": value}
            response = await client.post("/api/v1/metrics", json={"site_id": "SITE-1", "samples": [sample]},
                                         headers=headers)  # fmt: skip
            result: dict[str, Any] = response.json()
            return result

        assert (await post("pacs_process_up", 0, {"process": "viewer"}))["breaches"] == 0, "labels must match"
        started = datetime.now(UTC)
        assert (await post("pacs_process_up", 0, {"process": "archive"}))["breaches"] == 0, "pending for 2 s"

        async def fired() -> bool:
            return bool((await post("pacs_process_up", 0, {"process": "archive"}))["breaches"] == 1)

        await eventually(fired, timeout=10, what="the breach once it held for 2 s")
        assert (datetime.now(UTC) - started).total_seconds() >= 2.0
        assert (await post("db_wait_event_seconds", 12.5, {}))["breaches"] == 0, "recorded, never published"
        await events.at_least(1, timeout=10, what="the breach published")
        assert [m["payload"]["rule"] for m in await events.drain()] == ["archive-process-down"]
