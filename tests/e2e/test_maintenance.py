"""A window planned at the scheduler silences monitoring for its host, across the bus, until it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import Platform
from tests.support import eventually

HOST = "pacs-arch-e2e"


async def test_monitoring_holds_breaches_while_the_scheduler_says_maintenance(
    platform: Platform, admin: httpx.AsyncClient, his: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    window = {"site_id": platform.site_id, "host": HOST, "kind": "patch", "reason": "OS security patches",
              "starts_at": now.isoformat(), "ends_at": (now + timedelta(minutes=10)).isoformat()}  # fmt: skip
    created = await admin.post("/api/v1/maintenance-windows", json=window)
    assert created.status_code == 201, created.text
    window_id = created.json()["window_id"]

    async def post(value: float) -> dict[str, Any]:
        sample = {"host": HOST, "name": "disk_used_percent", "labels": {"mount": "/"}, "value": value}
        batch = {"site_id": platform.site_id, "samples": [sample]}
        response = await his.post("/api/v1/metrics", json=batch)
        assert response.status_code == 202, response.text
        result: dict[str, Any] = response.json()
        return result

    async def active() -> bool:
        return (await admin.get(f"/api/v1/maintenance-windows/{window_id}")).json()["state"] == "active"

    await eventually(active, timeout=10, what="the window started at the scheduler")
    first = await eventually(lambda: _held_once(post), timeout=20, what="monitoring holding the window's host")
    assert (first["breaches"], first["held"]) == (0, 1)

    ended = await admin.delete(f"/api/v1/maintenance-windows/{window_id}")
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    told = await eventually(lambda: _told(post), timeout=20, what="the breach told once the window ended")
    assert told["breaches"] == 1


async def _held_once(post: Any) -> dict[str, Any] | None:
    """Breach, see whether it was held, and clear again so that an early try leaves nothing behind."""
    result: dict[str, Any] = await post(96.0)
    if result["held"] == 1:
        return result
    await post(50.0)
    return None


async def _told(post: Any) -> dict[str, Any] | None:
    result: dict[str, Any] = await post(97.0)
    return result if result["breaches"] == 1 else None


async def test_a_sites_health_comes_from_monitoring_through_the_gateway(
    platform: Platform, admin: httpx.AsyncClient, his: httpx.AsyncClient
) -> None:
    site = platform.site_id
    beat = {"site_id": site, "link": "remote-monitoring", "allowance": "PT10M"}
    assert (await his.post("/api/v1/heartbeats", json=beat)).status_code == 202
    batch = {"site_id": site, "samples": [{"host": "pacs-health-01", "name": "disk_used_percent", "value": 42.0}]}
    assert (await his.post("/api/v1/metrics", json=batch)).status_code == 202
    # nothing changed state for a healthy disk, so only the link shows; a breach would add its rule
    health = await his.get(f"/api/v1/sites/{site}/health")
    assert health.status_code == 200, health.text
    assert "remote-monitoring" in [link["link"] for link in health.json()["links"]]
    assert (await his.get(f"/api/v1/sites/{platform.other_site_id}/health")).status_code == 403
    # the rest of /api/v1/sites/ is still escalation's
    assert (await admin.get(f"/api/v1/sites/{site}/availability")).status_code == 200


async def test_an_alertmanager_posts_through_the_gateway_with_its_site_key(platform: Platform) -> None:
    alert = {"status": "firing", "labels": {"alertname": "PacsGatewayProbe", "instance": "pacs-gw-01:9100"},
             "annotations": {}, "startsAt": "2026-11-26T01:00:00Z"}  # fmt: skip
    payload = {"version": "4", "status": "firing", "receiver": "pso", "alerts": [alert]}
    headers = {"Authorization": f"Bearer {platform.his_key}"}
    async with httpx.AsyncClient(base_url=platform.url, headers=headers, timeout=30) as alertmanager:
        fired = await alertmanager.post("/api/v1/alertmanager", json=payload)
        assert fired.status_code == 202, fired.text
        resolved = await alertmanager.post(
            "/api/v1/alertmanager", json={**payload, "status": "resolved", "alerts": [{**alert, "status": "resolved"}]}
        )
        assert (fired.json()["breaches"], resolved.json()["recoveries"]) == (1, 1)
