"""A patch under the hospital's standing consent, through the gateway of the whole platform: the campaign takes the
next standing window by itself, the patch is applied there, monitoring raises no alarm while it runs, and an
outage inside the window is not charged against the site's software downtime budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import Platform, own_site
from tests.factories import make_release
from tests.support import eventually, make_fault

HOST = "pacs-arch-consent"
CAMPAIGNS = "/api/v1/upgrade-campaigns"


def _software(site: str, version: str) -> dict[str, Any]:
    component = {"component": "pacs-archive", "kind": "archive", "version": version}
    return {"site_id": site, "hosts": [{"host": HOST, "components": [component]}]}


def _checks(phase: str) -> dict[str, Any]:
    counts = {"studies": 800, "series": 6000, "instances": 70_000}
    return {"phase": phase, "backup_age_hours": 2, "archive_free_percent": 40, "tablespace_free_percent": 30,
            "ha_ok": True, "dicom_echo_ok": True, "counts": counts}  # fmt: skip


async def test_a_patch_under_standing_consent_is_applied_in_the_next_window_without_alarm_or_charged_downtime(
    platform: Platform, admin: httpx.AsyncClient
) -> None:
    async with own_site(platform, admin) as (site, his):  # no other test's incident open at the site
        await _patch_under_consent(platform, admin, his, site)


async def _accepted(call: Any, status: int) -> httpx.Response | None:
    """The answer once the site's key and registration reached the service (they travel as events)."""
    response: httpx.Response = await call()
    return response if response.status_code == status else None


async def _patch_under_consent(platform: Platform, admin: httpx.AsyncClient, his: httpx.AsyncClient,
                               site: str) -> None:  # fmt: skip
    await eventually(lambda: _accepted(lambda: his.post("/api/v1/software", json=_software(site, "7.1.4")), 202),
                     timeout=15, what="monitoring taking the new site's key")  # fmt: skip
    path = f"/api/v1/sites/{site}/maintenance-agreement"
    await eventually(lambda: _accepted(lambda: his.get(path), 404), timeout=15,
                     what="the scheduler taking the new site's key (and knowing no agreement yet)")  # fmt: skip
    first = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)  # the database keeps milliseconds
    terms = {"window": {"first_starts_at": first.isoformat(), "every": "PT10M", "length": "PT45S"},
             "pre_approved": ["patch", "os_patch"], "note": "contract annex 3: Sunday nights"}  # fmt: skip
    bad = await admin.put(path, json={**terms, "pre_approved": ["upgrade"]})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    agreed = await his.put(path, json=terms)
    assert agreed.status_code == 200, agreed.text
    # the hospital's key may set only its own site's agreement
    other = f"/api/v1/sites/{platform.other_site_id}/maintenance-agreement"
    assert (await his.put(other, json=terms)).status_code == 403
    assert datetime.fromisoformat(agreed.json()["next_window_starts_at"]) == first

    release = await admin.post("/api/v1/releases", json=make_release(expected_downtime="PT35S"))
    assert release.status_code == 201, release.text
    created = await admin.post(CAMPAIGNS, json={"release_id": release.json()["release_id"], "waves": [[site]],
                                                "soak": "PT1S", "post_soak": "PT2S"})  # fmt: skip
    assert created.status_code == 201, created.text
    campaign_id = created.json()["campaign_id"]
    sites = f"{CAMPAIGNS}/{campaign_id}/sites/{site}"

    async def row(state: str | None = None) -> dict[str, Any] | None:
        view = (await admin.get(f"{CAMPAIGNS}/{campaign_id}")).json()
        found: dict[str, Any] = next(s for s in view["sites"] if s["site_id"] == site)
        return found if state is None or found["state"] == state else None

    # nobody asked the hospital: its consent placed the patch in the next standing window
    placed = await eventually(lambda: row("window_agreed"), timeout=15, what="the patch placed by standing consent")
    assert placed["by_consent"] is True
    assert datetime.fromisoformat(placed["window_starts_at"]) == first
    assert datetime.fromisoformat(placed["window_ends_at"]) == first + timedelta(seconds=35)
    assert "standing consent" in placed["history"][-1]["reason"]
    window = (await admin.get(f"/api/v1/maintenance-windows/{placed['window_id']}")).json()
    assert (window["kind"], window["host"], window["state"]) == ("patch", None, "scheduled")

    prechecked = await his.post(f"{sites}/checks", json=_checks("pre"))
    assert prechecked.status_code == 200 and prechecked.json()["state"] == "prechecked", prechecked.text
    before = (await admin.get(f"/api/v1/sites/{site}/availability")).json()

    # applied in the window: the site is started there and monitoring holds its alarms meanwhile
    await eventually(lambda: row("in_progress"), timeout=20, what="the patch started when its window began")

    async def window_active() -> dict[str, Any] | None:
        window: dict[str, Any] = (await admin.get(f"/api/v1/maintenance-windows/{placed['window_id']}")).json()
        return window if window["state"] == "active" else None

    began = datetime.fromisoformat(
        (await eventually(window_active, timeout=10, what="the window active"))["started_at"]
    )
    disk = {"host": HOST, "name": "disk_used_percent", "labels": {"mount": "/"}, "value": 97.0}
    held = await his.post("/api/v1/metrics", json={"site_id": site, "samples": [disk]})
    assert (held.json()["breaches"], held.json()["held"]) == (0, 1), held.text
    await his.post("/api/v1/metrics", json={"site_id": site, "samples": [{**disk, "value": 40.0}]})

    # the system was down during the patch: an outage inside the agreed window is not charged
    fault = await his.post("/api/v1/faults", json=make_fault(site, code="PATCH-RESTART"))
    assert fault.status_code == 202, fault.text  # intake knew the site: monitoring heard of it after intake

    async def incident() -> str | None:
        items = (await admin.get("/api/v1/incidents", params={"site_id": site})).json()["items"]
        return next((i["incident_id"] for i in items if i.get("fault_id") == fault.json()["fault_id"]), None)

    incident_id = await eventually(incident, timeout=15, what="the fault's incident opened")
    assert (await admin.post(f"/api/v1/incidents/{incident_id}/acknowledge")).status_code == 200
    down_from = began  # down from the moment the window began
    resolution = {"root_cause": "archive services restarted by the patch", "resolution": "came back after the patch",
                  "caused_by": "software", "whole_system_down": True, "down_from": down_from.isoformat()}  # fmt: skip
    resolved = await admin.post(f"/api/v1/incidents/{incident_id}/resolve", json=resolution)
    assert resolved.status_code == 200, resolved.text
    assert datetime.now(UTC) < first + timedelta(seconds=35), "resolved inside the window (else the test proves less)"
    down_minutes = (datetime.now(UTC) - down_from).total_seconds() / 60

    async def ledger_counted() -> dict[str, Any] | None:
        after: dict[str, Any] = (await admin.get(f"/api/v1/sites/{site}/availability")).json()
        planned = after["planned_minutes_excluded"] - before["planned_minutes_excluded"]
        return after if planned >= down_minutes - 0.15 else None

    after = await eventually(ledger_counted, timeout=15, what="the outage recorded as planned downtime")
    assert after["software_minutes_left"] == before["software_minutes_left"], "nothing charged to the budget"
    charged = [ledger["minutes_down_by_cause"].get("software", 0.0) for ledger in (before, after)]
    assert charged[0] == charged[1], "no software minutes charged"

    # the agent reports the patched version and equal counts: consent signs it off, no link needed
    assert (await his.post("/api/v1/software", json=_software(site, "7.2.3"))).status_code == 202

    async def postchecked() -> bool:
        answer = await his.post(f"{sites}/checks", json=_checks("post"))
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["state"] == "postchecked")

    await eventually(postchecked, timeout=20, interval=0.5, what="the patch post-checked at 7.2.3")
    done = await eventually(lambda: row("verified"), timeout=20, what="signed off once green through its soak")
    soaked = datetime.fromisoformat(done["history"][-1]["at"]) - datetime.fromisoformat(done["history"][-2]["at"])
    assert soaked >= timedelta(seconds=2), "signed off only after the soak"
    assert done["history"][-1]["reason"] == "signed off by the standing consent"
    campaign = await eventually(lambda: _completed(admin, campaign_id), timeout=15, what="the campaign completed")
    assert campaign["kind"] == "patch"

    # the site's alarms are not held a moment longer than the patch needed, and the consent can be withdrawn
    assert (await admin.delete(f"/api/v1/maintenance-windows/{placed['window_id']}")).status_code == 200
    assert (await his.delete(f"/api/v1/sites/{site}/maintenance-agreement")).status_code == 204
    assert (await his.get(f"/api/v1/sites/{site}/maintenance-agreement")).status_code == 404


async def _completed(admin: httpx.AsyncClient, campaign_id: str) -> dict[str, Any] | None:
    view: dict[str, Any] = (await admin.get(f"{CAMPAIGNS}/{campaign_id}")).json()
    return view if view["state"] == "completed" else None
