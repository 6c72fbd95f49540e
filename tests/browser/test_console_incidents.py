"""The incident queue in a real Chromium: an engineer on a phone sees the incident of their site with its response
clock counting down, and never another region's; an agent sees the queue of every region; both languages, axe."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser import PHONE, axe, describe, shot
from tests.browser.conftest import PageFactory
from tests.browser.staff import incident_of, signed_in
from tests.browser.test_console_sign_in import untranslated
from tests.e2e.conftest import Platform
from tests.support import eventually


async def test_an_engineer_on_a_phone_sees_their_incident_counting_down_and_no_other_regions(
    platform: Platform, new_page: PageFactory
) -> None:
    east = await incident_of(platform, platform.his_key, platform.site_id)  # Li Wei's site
    north = await incident_of(platform, platform.other_key, platform.other_site_id)
    page = await signed_in(new_page, platform, "ENGINEER", viewport=PHONE, locale="zh-CN")
    await page.get_by_role("link", name="故障工单").click()
    await expect(page).to_have_url(re.compile(r"/console/incidents\?view=mine$"))
    row = page.locator(f"#incident-{east}")
    await expect(row).to_contain_text("待响应")
    await expect(row.locator("time.due")).to_have_text(re.compile(r"^剩余 (1 小时 \d+|2 小时 0) 分钟$"))
    assert await page.locator(f"#incident-{north}").count() == 0
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "incidents-mine-zh-CN-phone")

    await page.goto(f"{platform.url}/console/incidents?view=all")
    await expect(page.locator(f"#incident-{east}")).to_be_visible()
    assert await page.locator(f"#incident-{north}").count() == 0, "another region's incident stays out of sight"


async def test_an_agent_filters_the_queue_of_every_region_by_site_with_the_keyboard(
    platform: Platform, new_page: PageFactory
) -> None:
    east = await incident_of(platform, platform.his_key, platform.site_id)
    north = await incident_of(platform, platform.other_key, platform.other_site_id)
    page = await signed_in(new_page, platform, "AGENT")
    await page.goto(f"{platform.url}/console/incidents?lang=en")
    await expect(page.locator(f"#incident-{east}")).to_be_visible()
    await expect(page.locator(f"#incident-{north}")).to_be_visible()
    await page.locator("#site").focus()
    await page.keyboard.type(platform.other_site_id)
    await page.keyboard.press("Enter")
    await expect(page.locator(f"#incident-{north}")).to_contain_text("open")
    assert await page.locator(f"#incident-{east}").count() == 0
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "incidents-agent-en")


async def test_an_engineer_on_a_phone_acknowledges_resolves_and_finds_the_case_in_the_escalation_database(
    platform: Platform, new_page: PageFactory
) -> None:
    east = await incident_of(platform, platform.his_key, platform.site_id)
    north = await incident_of(platform, platform.other_key, platform.other_site_id)
    page = await signed_in(new_page, platform, "ENGINEER", viewport=PHONE)
    await page.goto(f"{platform.url}/console/incidents/{east}?lang=en")
    await expect(page.locator("#response-clock time.due")).to_have_text(re.compile(r"^in (1 h \d+|2 h 0) min$"))
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "incident-en-phone")

    forged = await page.request.post(f"{platform.url}/console/incidents/{east}/acknowledge", form={"csrf": "0" * 64})
    assert forged.status == 403, "a form without this session's CSRF token changes nothing"
    await page.reload()
    await expect(page.locator("#state")).to_have_text("open")
    await page.locator("#acknowledge").click()
    await expect(page.locator("#state")).to_have_text("acknowledged")
    await expect(page.locator("#response-clock")).to_contain_text("responded at")  # the clock stopped
    assert await page.locator("#response-clock time.due").count() == 0

    cause = "DICOM store SCP thread pool exhausted after the nightly archive verification job"
    await page.locator("#root_cause").fill(cause)
    await page.locator("#resolution").fill("Raised the store SCP pool to 64 and moved the verification job to 02:00")
    await page.locator("#caused_by").select_option("software")
    await page.locator("#resolve").click()
    await expect(page.locator("#state")).to_have_text("resolved")
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "incident-resolved-en-phone")

    async def found() -> bool | None:
        await page.goto(f"{platform.url}/console/knowledge?q=store SCP thread pool exhausted by archive verification")
        return await page.locator(f"#case-{east}").count() == 1 or None

    await eventually(found, timeout=30, what="the resolved incident found in the escalation database")
    await expect(page.locator(f"#case-{east}")).to_contain_text(cause)
    assert not describe(await axe(page)), describe(await axe(page))
    await shot(page, "knowledge-en-phone")

    other_region = await page.goto(f"{platform.url}/console/incidents/{north}")
    assert other_region is not None and other_region.status == 404
    admin_page = await page.goto(f"{platform.url}/console/admin/accounts")
    assert admin_page is not None and admin_page.status == 403
    assert await untranslated(page) == []
