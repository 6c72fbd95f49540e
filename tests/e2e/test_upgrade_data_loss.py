"""An upgrade that loses images, through the gateway of the whole platform: the archive's instance count drops
between the agent's pre- and post-checks, the site fails, a critical incident opens at L3 (the service plan's
regional system experts) with its on-call engineer, and the campaign pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import Platform, own_site
from tests.factories import make_release
from tests.support import eventually

CAMPAIGNS = "/api/v1/upgrade-campaigns"


def _checks(phase: str, instances: int) -> dict[str, Any]:
    counts = {"studies": 800, "series": 6000, "instances": instances}
    return {"phase": phase, "backup_age_hours": 2, "archive_free_percent": 40, "tablespace_free_percent": 30,
            "ha_ok": True, "dicom_echo_ok": True, "counts": counts}  # fmt: skip


async def test_an_upgrade_that_loses_instances_fails_the_site_opens_an_l3_incident_and_pauses_the_campaign(
    platform: Platform, admin: httpx.AsyncClient
) -> None:
    async with own_site(platform, admin) as (site, his):
        await _upgrade_losing_instances(admin, his, site)


async def _upgrade_losing_instances(admin: httpx.AsyncClient, his: httpx.AsyncClient, site: str) -> None:
    software = {"site_id": site, "hosts": [{"host": "pacs-arch-upgrade", "components": [
        {"component": "pacs-archive", "kind": "archive", "version": "7.2.3"}]}]}  # fmt: skip

    async def reported() -> bool:  # once monitoring took the new site's key (it travels as an event)
        return (await his.post("/api/v1/software", json=software)).status_code == 202

    await eventually(reported, timeout=15, what="monitoring taking the new site's key")
    body = make_release(version="7.3.0", kind="upgrade", applies_to=[">=7.1,<7.3"], expected_downtime="PT30S")
    release = await admin.post("/api/v1/releases", json=body)
    assert release.status_code == 201, release.text
    plan = {"release_id": release.json()["release_id"], "waves": [[site]], "soak": "PT1S", "post_soak": "PT1S"}
    created = await admin.post(CAMPAIGNS, json=plan)
    assert created.status_code == 201, created.text
    campaign_id = created.json()["campaign_id"]
    sites = f"{CAMPAIGNS}/{campaign_id}/sites/{site}"

    async def key_known() -> bool:  # the key reaches the scheduler as an event
        return (await his.get(f"{CAMPAIGNS}/{campaign_id}")).status_code == 200

    await eventually(key_known, timeout=15, what="the scheduler taking the new site's key")
    starts = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    agreed = await his.post(f"{sites}/window", json={"starts_at": starts})
    assert agreed.status_code == 200, agreed.text
    prechecked = await his.post(f"{sites}/checks", json=_checks("pre", 70_000))
    assert prechecked.status_code == 200 and prechecked.json()["state"] == "prechecked", prechecked.text

    async def row(state: str) -> dict[str, Any] | None:
        view = (await admin.get(f"{CAMPAIGNS}/{campaign_id}")).json()
        found: dict[str, Any] = next(s for s in view["sites"] if s["site_id"] == site)
        return found if found["state"] == state else None

    started = await eventually(lambda: row("in_progress"), timeout=20, what="the upgrade started in its window")
    failed = await his.post(f"{sites}/checks", json=_checks("post", 69_990))
    assert failed.status_code == 200 and failed.json()["state"] == "failed", failed.text
    assert failed.json()["reasons"] == ["archive counts dropped: instances 70000 -> 69990"]

    async def incident() -> dict[str, Any] | None:
        items = (await admin.get("/api/v1/incidents", params={"site_id": site})).json()["items"]
        return next((i for i in items if i.get("fault_id") == f"UPG-{campaign_id}-{site}"), None)

    opened = await eventually(incident, timeout=20, what="the data-loss incident opened")
    assert (opened["tier"], opened["severity"]) == ("L3", "critical"), opened
    assert opened["summary"] == "UPGRADE-DATA-LOSS", opened

    async def paused() -> dict[str, Any] | None:
        view: dict[str, Any] = (await admin.get(f"{CAMPAIGNS}/{campaign_id}")).json()
        return view if view["state"] == "paused" else None

    view = await eventually(paused, timeout=15, what="the campaign paused")
    assert view["paused_reason"] == "1 of 1 sites of wave 0 failed"
    # the site's alarms are held no longer than the failed upgrade needed
    assert (await admin.delete(f"/api/v1/maintenance-windows/{started['window_id']}")).status_code == 200
