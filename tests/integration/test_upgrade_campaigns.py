"""Upgrade campaigns against the real broker and database, on a seconds-scale clock: six sites in two waves. The
pilot's hospital agrees its window by its signed link, its agent's pre-checks pass, the site is started when the
window begins, reports the new version and equal counts, is signed off, and the next wave starts after the soak.
There a site whose instance count drops fails, reports a critical fault and pauses the campaign; a site whose
hospital never agrees is never started, nor one whose pre-checks never came."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pacs_contracts import Envelope, Event
from pacs_contracts.events import LicenceUpdated, SiteRegistered, SoftwareVersionChanged
from pacs_scheduler.main import create_app
from pacs_scheduler.settings import SchedulerSettings
from pacs_scheduler.usecases.campaigns import links
from tests.factories import make_release
from tests.integration.conftest import running
from tests.support import bearer, eventually, problem, publish

PATH = "/api/v1/upgrade-campaigns"
SITES = [f"SITE-UC{n}" for n in range(1, 7)]
LICENCE = "feature:online-upgrade"


def _checks(phase: str, *, instances: int = 90_000, **overrides: Any) -> dict[str, Any]:
    counts = {"studies": 1200, "series": 9000, "instances": instances}
    body = {"phase": phase, "backup_age_hours": 3, "archive_free_percent": 40, "tablespace_free_percent": 25,
            "ha_ok": True, "dicom_echo_ok": True, "counts": counts}  # fmt: skip
    return {**body, **overrides}  # fmt: skip


def _software(site: str, version: str) -> SoftwareVersionChanged:
    return SoftwareVersionChanged(site_id=site, host="ARCH-1", component="pacs-archive", kind="archive",
                                  installed_version=version, reported_at=datetime.now(UTC))  # fmt: skip


def _soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def test_a_campaign_advances_after_a_good_pilot_and_pauses_when_an_archive_loses_instances(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    app = create_app(settings_for(SchedulerSettings, instance_id="campaigns"))
    supervisor = bearer(app.state.kit, "SUP-U", "supervisor")
    heard = await tap("fault.reported", "upgrade.#", "hospital.notice")
    async with running(app, supervisor) as api:
        kit = app.state.kit

        async def tell(*events: Event) -> None:
            for event in events:
                producer = "escalation" if isinstance(event, SiteRegistered) else "monitoring"
                await publish(amqp_url, namespace, Envelope.wrap(event, producer=producer))

        for site in SITES:
            await tell(SiteRegistered(site_id=site, name=f"Hospital {site}", region="east", account_engineer_id="E1"),
                       _software(site, "7.1.4"), LicenceUpdated(site_id=site, licence=LICENCE,
                                                                reported_at=datetime.now(UTC)))  # fmt: skip
        release = (await api.post("/api/v1/releases", json=make_release(
            expected_downtime="PT3S", prerequisites={"licences": [LICENCE]}))).json()  # fmt: skip

        async def ready() -> bool:
            answer = (await api.get(f"/api/v1/releases/{release['release_id']}/applicability")).json()
            return sorted(r["site_id"] for r in answer["ready"]) == SITES

        await eventually(ready, timeout=20, what="monitoring's versions and licences in the scheduler's read model")
        key = {site: {"X-API-Key": await kit.auth.api_keys.create(site, name="HIS")} for site in SITES}

        # bad plans create nothing
        body = {"release_id": release["release_id"], "waves": [SITES[:1], SITES[1:]], "soak": "PT2S",
                "post_soak": "PT2S", "pause_share": 0.2}  # fmt: skip
        problem(await api.post(PATH, json={**body, "release_id": "REL-NONE"}), 422)
        problem(await api.post(PATH, json={**body, "waves": [SITES[:2], SITES[1:]]}), 422)
        problem(await api.post(PATH, json=body, headers=bearer(kit, "ENG-U", "engineer")), 403)

        created = await api.post(PATH, json=body)
        assert created.status_code == 201, created.text
        campaign = created.json()
        cid, site_url = campaign["campaign_id"], f"{PATH}/{campaign['campaign_id']}/sites"
        assert campaign["window"] == "PT3S", "each window lasts the release's expected downtime"
        assert {s["site_id"]: s["state"] for s in campaign["sites"]} == {
            SITES[0]: "notified", **{s: "proposed" for s in SITES[1:]}}  # fmt: skip

        async def row(site: str) -> dict[str, Any]:
            view = (await api.get(f"{PATH}/{cid}")).json()
            found: dict[str, Any] = next(s for s in view["sites"] if s["site_id"] == site)
            return found

        async def state_is(site: str, state: str) -> dict[str, Any] | None:
            now = await row(site)
            return now if now["state"] == state else None

        # the pilot: its contact agrees the window by the signed link; a forged link or a past start is refused
        pilot = SITES[0]
        link = (await api.get(f"{site_url}/{pilot}/agreement-links", headers=key[pilot])).json()["url"]
        token = link.rsplit("/", 1)[1]
        problem(await api.post(f"{PATH}/agreements/{token}x", json={"starts_at": _soon(2)}), 403)
        problem(await api.post(f"{PATH}/agreements/{token}", json={"starts_at": _soon(-60)}), 422)
        problem(await api.get(f"{site_url}/{pilot}/agreement-links", headers=key[SITES[1]]), 403)
        expired = links(app.state.deps).url(f"{cid}|{pilot}", datetime.now(UTC) - timedelta(days=15),
                                            datetime.now(UTC) - timedelta(seconds=1)).rsplit("/", 1)[1]  # fmt: skip
        assert "expired" in (problem(await api.post(f"{PATH}/agreements/{expired}",
                                                           json={"starts_at": _soon(2)}), 403))["detail"]  # fmt: skip
        assert (await row(pilot))["state"] == "notified", "a refused link changed nothing"
        asked = (await api.get(f"{PATH}/agreements/{token}")).json()
        assert (asked["site_id"], asked["state"]) == (pilot, "notified"), "the link shows the contact what is asked"
        agreed = await api.post(f"{PATH}/agreements/{token}", json={"starts_at": _soon(2.5)})
        assert agreed.status_code == 200 and agreed.json()["state"] == "window_agreed", agreed.text
        window = (await api.get(f"/api/v1/maintenance-windows/{agreed.json()['window_id']}")).json()
        assert (window["site_id"], window["kind"], window["state"]) == (pilot, "patch", "scheduled")

        # pre-checks: an old backup blocks it, named; a good report passes
        stale = (await api.post(f"{site_url}/{pilot}/checks", json=_checks("pre", backup_age_hours=40),
                                headers=key[pilot])).json()  # fmt: skip
        assert (stale["state"], stale["reasons"]) == ("window_agreed", ["no successful backup in the last 26 h"])
        passed = (await api.post(f"{site_url}/{pilot}/checks", json=_checks("pre"), headers=key[pilot])).json()
        assert (passed["state"], passed["reasons"]) == ("prechecked", [])
        await eventually(lambda: state_is(pilot, "in_progress"), timeout=10, what="the pilot started in its window")

        # the agent reports the new version and equal counts; the hospital signs off by its link
        await tell(_software(pilot, "7.2.3"))

        async def postchecked() -> bool:
            answer = await api.post(f"{site_url}/{pilot}/checks", json=_checks("post"), headers=key[pilot])
            return bool(answer.json()["state"] == "postchecked")

        await eventually(postchecked, timeout=10, what="the pilot post-checked at 7.2.3")
        early = problem(await api.post(f"{PATH}/verifications/{token}"), 409)
        assert "stays green until" in early["detail"], "no sign-off before the site stayed green through its soak"

        async def signed_off() -> dict[str, Any] | None:
            answer = await api.post(f"{PATH}/verifications/{token}")
            return dict(answer.json()) if answer.status_code == 200 else None

        verified = await eventually(signed_off, timeout=10, interval=0.5, what="the pilot signed off after its soak")
        assert verified["state"] == "verified"
        verified_at = datetime.now(UTC)

        # the next wave starts after the soak
        await eventually(lambda: state_is(SITES[1], "notified"), timeout=10, what="the second wave notified")
        assert datetime.now(UTC) - verified_at >= timedelta(seconds=1.5), "the soak was waited for"
        assert (await api.get(f"{PATH}/{cid}")).json()["current_wave"] == 1

        # wave two: one site loses instances, one never agrees, one agrees but never sends its pre-checks
        lossy, silent, unchecked = SITES[1], SITES[2], SITES[3]
        for site in (lossy, unchecked):
            answer = await api.post(f"{site_url}/{site}/window", json={"starts_at": _soon(2)}, headers=key[site])
            assert answer.status_code == 200, answer.text
        problem(await api.post(f"{site_url}/{silent}/window", json={"starts_at": _soon(2)},
                                      headers=key[lossy]), 403)  # fmt: skip
        assert (await api.post(f"{site_url}/{lossy}/checks", json=_checks("pre"), headers=key[lossy])).json()[
            "state"] == "prechecked"  # fmt: skip
        await eventually(lambda: state_is(lossy, "in_progress"), timeout=10, what="the lossy site started")
        await tell(_software(lossy, "7.2.3"))
        failed = (await api.post(f"{site_url}/{lossy}/checks", json=_checks("post", instances=89_990),
                                 headers=key[lossy])).json()  # fmt: skip
        assert failed["state"] == "failed", failed
        assert failed["reasons"] == ["archive counts dropped: instances 90000 -> 89990"]

        view = await eventually(lambda: _paused(api, cid), timeout=10, what="the campaign paused")
        assert view["paused_reason"] == "1 of 5 sites of wave 1 failed"
        held = await eventually(lambda: _reason(api, cid, unchecked), timeout=10, what="the unchecked site held")
        assert held["state"] == "window_agreed"
        assert (await row(silent))["state"] == "notified", "a hospital that never agreed is never started"

        async def told() -> list[dict[str, Any]] | None:
            events = await heard.drain()
            return events if any(e["type"] == "upgrade.campaign_paused" for e in events) else None

        events = await eventually(told, timeout=10, what="the pause told on the bus")
        faults = [e["payload"] for e in events if e["type"] == "fault.reported"]
        assert [(f["fault_id"], f["site_id"], f["severity"], f["code"], f["start_tier"]) for f in faults] == [
            (f"UPG-{cid}-{lossy}", lossy, "critical", "UPGRADE-DATA-LOSS", 3)]  # fmt: skip
        moves = [(e["payload"]["site_id"], e["payload"]["to_state"]) for e in events
                 if e["type"] == "upgrade.site_moved"]  # fmt: skip
        assert [m for m in moves if m[0] == pilot] == [(pilot, s) for s in (
            "window_agreed", "prechecked", "in_progress", "postchecked", "verified")]  # fmt: skip
        assert (lossy, "failed") in moves and not [m for m in moves if m[0] == silent and m[1] != "notified"]
        assert [e["payload"]["wave"] for e in events if e["type"] == "upgrade.campaign_advanced"] == [1]
        # each notified site's upgrade contacts were asked by e-mail, once, with a link that works until it expires
        asks = [e["payload"] for e in events if e["type"] == "hospital.notice"]
        assert sorted(a["site_id"] for a in asks) == sorted(SITES), "the pilot at once, the rest when wave 2 began"
        assert {(a["role"], a["topic"], a["reference"]) for a in asks} == {("upgrade", "upgrade.window_requested", cid)}
        assert all(a["link"].rsplit("/", 1)[1] and a["expires_at"] and a["facts"]["version"] == "7.2.3" for a in asks)
        pilot_link = next(a["link"] for a in asks if a["site_id"] == pilot).rsplit("/", 1)[1]
        assert (await api.get(f"{PATH}/agreements/{pilot_link}")).json()["state"] == "verified"

        # a move the state table has no row for is refused, named
        refused = problem(await api.post(f"{site_url}/{silent}/rollback", json={"reason": "test"},
                                                headers=bearer(kit, "ENG-U", "engineer")), 409)  # fmt: skip
        assert refused["detail"] == "a site that is notified cannot take 'rolled back'"
        problem(await api.post(f"{site_url}/{silent}/checks", json=_checks("pre"), headers=key[silent]), 409)

        # the hospital's key sees its own site's row only
        own = (await api.get(f"{PATH}/{cid}", headers=key[pilot])).json()
        assert [s["site_id"] for s in own["sites"]] == [pilot]
        assert [h["to_state"] for h in own["sites"][0]["history"]] == [
            "notified", "window_agreed", "prechecked", "in_progress", "postchecked", "verified"]  # fmt: skip


async def _paused(api: httpx.AsyncClient, cid: str) -> dict[str, Any] | None:
    view: dict[str, Any] = (await api.get(f"{PATH}/{cid}")).json()
    return view if view["state"] == "paused" else None


async def _reason(api: httpx.AsyncClient, cid: str, site: str) -> dict[str, Any] | None:
    view = (await api.get(f"{PATH}/{cid}")).json()
    found: dict[str, Any] = next(s for s in view["sites"] if s["site_id"] == site)
    return found if "pre-checks not passed by the window's start" in found["reasons"] else None


async def test_a_campaign_chooses_its_sites_by_region_version_and_count(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any]
) -> None:
    app = create_app(settings_for(SchedulerSettings, instance_id="choosing"))
    supervisor = bearer(app.state.kit, "SUP-C", "supervisor")
    estate = {"SITE-CH1": ("east", "7.1.4"), "SITE-CH2": ("west", "7.1.9"), "SITE-CH3": ("east", "7.2.1"),
              "SITE-CH4": ("east", "7.2.3"), "SITE-CH5": ("north", "7.1.2"), "SITE-CH6": ("east", "6.9.0")}  # fmt: skip
    async with running(app, supervisor) as api:
        for site, (region, version) in estate.items():
            registered = SiteRegistered(site_id=site, name=f"Hospital {site}", region=region, account_engineer_id="E1")
            for event in (registered, _software(site, version)):
                producer = "escalation" if isinstance(event, SiteRegistered) else "monitoring"
                await publish(amqp_url, namespace, Envelope.wrap(event, producer=producer))
        release = (await api.post("/api/v1/releases", json=make_release(applies_to=[">=7.0,<7.2.3"]))).json()

        async def known() -> bool:
            answer = (await api.get(f"/api/v1/releases/{release['release_id']}/applicability")).json()
            return len(answer["needs"]) == 4 and len(answer["up_to_date"]) == 1 and len(answer["not_applicable"]) == 1

        await eventually(known, timeout=20, what="the estate's versions in the scheduler's read model")
        body = {"release_id": release["release_id"], "select": {"regions": ["east", "west"], "versions": [">=7.1"]},
                "waves": [{"name": "pilot", "regions": ["east"], "count": 1}, {"name": "rest"}]}  # fmt: skip
        created = await api.post(PATH, json=body)
        assert created.status_code == 201, created.text
        waves = [(w["name"], w["site_ids"]) for w in created.json()["waves"]]
        # north is outside the regions, 7.2.3 is up to date and 6.9.0 outside the release: none of them is chosen
        assert waves == [("pilot", ["SITE-CH1"]), ("rest", ["SITE-CH2", "SITE-CH3"])]

        none_left = {**body, "waves": [{"name": "all", "regions": ["east", "west"]}, {"name": "north", "count": 1}]}
        refused = problem(await api.post(PATH, json=none_left), 422)
        assert refused["detail"] == "wave north chooses no site: none of the selection is left for it"
        assert (await api.get(PATH)).json()["total"] == 1, "a refused plan created nothing"
