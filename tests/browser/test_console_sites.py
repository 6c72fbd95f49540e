"""Setting up a hospital in a real Chromium: an admin registers it and sets its contract from the pages; the call
centre then finds it by its number with those terms; a supervisor reads the contract but cannot change it. An admin
issues the hospital's HIS key, shown once, which every service where a hospital acts takes until it is revoked."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import expect

from tests.browser import axe, describe, shot
from tests.browser.conftest import PageFactory
from tests.browser.staff import signed_in
from tests.browser.test_console_sign_in import untranslated
from tests.e2e.conftest import Platform
from tests.support import eventually, make_fault

SITE = "SITE-NEW-01"


async def test_an_admin_registers_a_hospital_and_sets_its_contract_which_the_call_centre_then_sees(
    platform: Platform, new_page: PageFactory
) -> None:
    page = await signed_in(new_page, platform, "ADMIN")
    await page.get_by_role("link", name="Hospitals and contracts").click()
    await page.locator("#site_id").fill(SITE)
    await page.locator("#name").fill("浦江新院区")
    await page.locator("#region").fill("east")
    await page.locator("#account_engineer_id").select_option("ENG-EAST-1")
    await page.locator("#city").fill("Shanghai")
    await page.locator("#phones").fill("+86 21 5555 0909")
    await page.locator("#aliases").fill("Pujiang New Campus, pjxyq")
    await page.locator("#register-site").click()
    await expect(page).to_have_url(re.compile(f"/console/sites/{SITE}$"))
    await expect(page.locator("#terms")).to_contain_text("respond within 2 h, on site within 6 h")  # the usual terms

    # terms the page does not edit, set through the API: saving the page's terms keeps them
    admin = {"Authorization": f"Bearer {platform.admin_token}"}
    kept = {"availability_percent": 99.9, "remote_access_approvers": ["Dr. Zhang"], "remote_access_max": "PT2H"}
    async with httpx.AsyncClient(base_url=platform.url, headers=admin) as api:
        assert (await api.put(f"/api/v1/sites/{SITE}/contract", json=kept)).status_code == 200
    await page.locator("#warranty_start").fill("2026-01-01")
    await page.locator("#warranty_end").fill("2028-12-31")
    await page.locator("#response").fill("1")
    await page.locator("#on_site").fill("4")
    await page.locator("#ladder-L2").fill("1.5")
    await page.locator("#ladder-L3").fill("3")
    await page.locator("#ladder-L4").fill("")
    await page.locator("#budget").fill("2")
    await page.locator("#calendar").check()
    await page.locator("#save-contract").click()
    await expect(page.locator("#terms")).to_contain_text("in warranty (until 2028-12-31)")
    await expect(page.locator("#terms")).to_contain_text("respond within 1 h, on site within 4 h")
    await expect(page.locator("#ladder")).to_have_text("L2 after 1 h 30 min · L3 after 3 h")
    await expect(page.locator("#budget-terms")).to_have_text("2 h a year")
    async with httpx.AsyncClient(base_url=platform.url, headers=admin) as api:
        contract = (await api.get(f"/api/v1/sites/{SITE}")).json()["contract"]
    assert {k: contract[k] for k in kept} == kept and contract["response"] == "PT1H"
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "site-contract-en")

    agent = await signed_in(new_page, platform, "AGENT", locale="zh-CN")
    await agent.goto(f"{platform.url}/console/calls/new?phone=021-5555-0909")
    await expect(agent.locator("#site-name")).to_contain_text("浦江新院区")
    await expect(agent.locator("main")).to_contain_text("1 小时 内响应，4 小时 内到场")

    supervisor = await signed_in(new_page, platform, "SUPERVISOR")
    await supervisor.goto(f"{platform.url}/console/sites/{SITE}?lang=zh-CN")
    await expect(supervisor.locator("#ladder")).to_contain_text("L2 1 小时 30 分钟 后")
    assert await supervisor.locator("#contract").count() == 0, "supervisors read contracts; admins change them"
    assert await untranslated(supervisor) == []
    assert not describe(await axe(supervisor)), describe(await axe(supervisor))
    await shot(supervisor, "site-zh-CN")
    refused = await supervisor.request.post(f"{platform.url}/console/sites/{SITE}/contract",
                                            form={"csrf": "0" * 64, "response": "9"})  # fmt: skip
    assert refused.status == 403


async def test_an_admin_issues_a_his_key_shown_once_that_every_site_service_takes_until_it_is_revoked(
    platform: Platform, new_page: PageFactory
) -> None:
    page = await signed_in(new_page, platform, "ADMIN")
    await page.get_by_role("link", name="HIS keys").click()
    await page.locator("#site_id").select_option("SITE-SOUTH-01")
    await page.locator("#name").fill("South HIS interface engine")
    await page.locator("#expires_days").fill("30")
    await page.locator("#issue-key").click()
    key = await page.locator("#new-key").input_value()
    assert re.fullmatch(r"pso_[0-9a-f]{12}_[A-Za-z0-9_-]+", key), key
    key_id = key.split("_")[1]
    await expect(page.locator(f"#key-{key_id}")).to_contain_text("South HIS interface engine")
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "site-keys-issued-en")

    async with httpx.AsyncClient(base_url=platform.url, headers={"X-API-Key": key}, timeout=30) as his:
        fault = await his.post("/api/v1/faults", json=make_fault("SITE-SOUTH-01"))
        assert fault.status_code == 202, fault.text  # intake, which issued it
        beat = {"site_id": "SITE-SOUTH-01", "link": "remote-monitoring", "allowance": "PT5M"}

        async def monitoring_takes_it() -> bool | None:
            return (await his.post("/api/v1/heartbeats", json=beat)).status_code < 300 or None

        await eventually(monitoring_takes_it, timeout=15, what="monitoring keeping the key from site_key.issued")

        await page.goto(f"{platform.url}/console/admin/site-keys?site=SITE-SOUTH-01")
        assert await page.locator("#new-key").count() == 0, "the key is never shown again"
        await page.locator(f"#revoke-{key_id}").click()
        await expect(page.locator(f"#key-{key_id}")).to_contain_text("revoked")

        async def refused_everywhere() -> bool | None:
            faults = await his.post("/api/v1/faults", json=make_fault("SITE-SOUTH-01"))
            beats = await his.post("/api/v1/heartbeats", json=beat)
            return (faults.status_code, beats.status_code) == (401, 401) or None

        await eventually(refused_everywhere, timeout=30, what="the revoked key refused by intake and monitoring")
    assert await untranslated(page) == []
