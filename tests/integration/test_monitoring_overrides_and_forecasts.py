"""Rules overridden per site and host, and capacity forecasts, in-process against the real database and broker."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pacs_contracts.events import MetricBreached
from tests.integration.test_monitoring_and_keys import monitoring
from tests.support import bearer, eventually


def disk(host: str, value: float) -> dict[str, Any]:
    return {"host": host, "name": "disk_used_percent", "labels": {"mount": "/"}, "value": value}


async def test_a_site_and_a_host_override_the_shipped_rules(settings_for: Callable[..., Any]) -> None:
    async with monitoring(settings_for, gauge_refresh_seconds=0.2) as m:
        client, kit = m.client, m.kit
        supervisor = {**bearer(kit, "SUP-1", "supervisor"), "content-type": "application/yaml"}

        async def post(*samples: dict[str, Any]) -> tuple[int, int]:
            r = await client.post("/api/v1/metrics", json={"site_id": "SITE-1", "samples": list(samples)},
                                  headers=m.headers)  # fmt: skip
            assert r.status_code == 202, r.text
            return r.json()["breaches"], r.json()["recoveries"]

        site = "rules:\n  - {name: system-disk-full, threshold: 95, clear: 90}\n"
        put = await client.put("/api/v1/rules", params={"site_id": "SITE-1"}, content=site, headers=supervisor)
        assert put.status_code == 200, put.text
        host = (
            "rules:\n  - {name: system-disk-full, threshold: 80, clear: 70}\n  - {name: log-volume, enabled: false}\n"
        )
        put = await client.put("/api/v1/rules", params={"site_id": "SITE-1", "host": "pacs-db-02"}, content=host,
                               headers=supervisor)  # fmt: skip
        assert put.status_code == 200, put.text

        # 92 % breaches the shipped 90 %, not the site's 95 %; 85 % breaches the host's own 80 %
        assert await post(disk("pacs-db-01", 92), disk("pacs-db-02", 85)) == (1, 0)
        log = {"host": "pacs-db-02", "name": "log_used_percent", "value": 99}
        assert await post(log, {**log, "host": "pacs-db-01"}) == (1, 0), "log-volume is off on pacs-db-02 only"

        seen = (await client.get("/api/v1/rules", params={"site_id": "SITE-1", "host": "pacs-db-02"},
                                 headers=supervisor)).json()  # fmt: skip
        rule = next(r for r in seen["rules"] if r["name"] == "system-disk-full")
        assert (seen["source"], rule["threshold"], rule["labels"]) == ("override", 80, {"mount": "/"})
        inherited = (await client.get("/api/v1/rules", params={"site_id": "SITE-2"}, headers=supervisor)).json()
        assert inherited["source"] == "inherited"
        assert next(r for r in inherited["rules"] if r["name"] == "system-disk-full")["threshold"] == 90

        bad = await client.put("/api/v1/rules", params={"site_id": "SITE-1"},
                               content="rules:\n  - {name: brand-new, threshold: 3}\n", headers=supervisor)  # fmt: skip
        assert bad.status_code == 422 and bad.json()["detail"].startswith("line 2: metric: Field required"), bad.text
        orphan = await client.put("/api/v1/rules", params={"host": "h"}, content=site, headers=supervisor)
        assert orphan.status_code == 422
        engineer = {**bearer(kit, "ENG-1", "engineer"), "content-type": "application/yaml"}
        assert (await client.put("/api/v1/rules", params={"site_id": "SITE-1"}, content=site,
                                 headers=engineer)).status_code == 403  # fmt: skip
        assert (await client.put("/api/v1/rules", content=site, headers=supervisor)).status_code == 403, (
            "only an admin replaces the global pack"
        )

        async def firing_on_the_dashboard() -> bool:
            text = (await client.get("/metrics")).text
            return ('pacs_monitoring_rules_firing{problem_class="storage",rule="system-disk-full",site_id="SITE-1"} 1.0'
                    in text and 'pacs_monitoring_samples_total{site_id="SITE-1"} 4.0' in text)  # fmt: skip

        await eventually(firing_on_the_dashboard, timeout=10, what="per-site gauges on /metrics")

        dropped = await client.delete("/api/v1/rules", params={"site_id": "SITE-1"}, headers=supervisor)
        assert dropped.status_code == 204
        assert await post(disk("pacs-db-03", 92)) == (1, 0), "the shipped 90 % is back for the site"
        again = await client.delete("/api/v1/rules", params={"site_id": "SITE-1"}, headers=supervisor)
        assert again.status_code == 404


def hourly(host: str, start: float, per_day: float, noise: float, hours: int, now: datetime) -> list[dict[str, Any]]:
    rng = random.Random(11)
    first = now - timedelta(hours=hours - 1)
    return [{"host": host, "name": "tablespace_used_percent", "value": start + per_day * h / 24 + rng.gauss(0, noise),
             "timestamp": (first + timedelta(hours=h)).isoformat()} for h in range(hours)]  # fmt: skip


async def test_a_growing_tablespace_is_forecast_to_run_out_and_a_flat_one_is_not(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(MetricBreached.type)
    async with monitoring(settings_for) as m:
        now = datetime.now(UTC).replace(microsecond=0)
        # 75 % a week ago, growing 2 % a day: 100 % is reached 12.5 days after the first sample
        growing = hourly("pacs-db-01", start=75.0, per_day=2.0, noise=0.8, hours=168, now=now)
        truth = now - timedelta(hours=167) + timedelta(days=12.5)
        flat = hourly("pacs-db-02", start=60.0, per_day=0.0, noise=2.0, hours=168, now=now)
        r = await m.client.post("/api/v1/metrics", json={"site_id": "SITE-1", "samples": growing + flat},
                                headers=m.headers)  # fmt: skip
        assert r.status_code == 202 and r.json()["breaches"] == 1, r.text

        breach = (await events.at_least(1, timeout=10, what="the capacity forecast on the bus"))[0]["payload"]
        assert (breach["host"], breach["rule"], breach["problem_class"]) == (
            "pacs-db-01", "tablespace-forecast", "capacity_forecast"
        )  # fmt: skip
        predicted = datetime.fromisoformat(breach["exhausted_at"])
        left = (truth - now).total_seconds()
        assert abs((predicted - truth).total_seconds()) <= 0.1 * left, f"predicted {predicted}, true {truth}"

        again = await m.client.post("/api/v1/metrics", json={"site_id": "SITE-1", "samples": growing + flat},
                                    headers=m.headers)  # fmt: skip
        assert again.json()["breaches"] == 0, "the same history is no news"
        indexes = await m.deps.points.collection.index_information()
        assert any("expireAfterSeconds" in spec for spec in indexes.values()), "capacity history expires"
        assert await m.deps.points.collection.count_documents({}) == 2 * 168, "one point per series and hour"
