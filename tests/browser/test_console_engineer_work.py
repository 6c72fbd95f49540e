"""An engineer works an incident from a phone in a real Chromium: each step of its life from the page (go on site,
check in, wait for the hospital and resume, escalate with a reason), the clocks that each step starts, pauses or
stops, the past cases offered as a root cause is typed, and another engineer's page of it following live; the L2
engineer finds it under "escalated to me", and the "due within 30 minutes" view holds what is about to breach and
nothing else. A PM visit's check list is filled in on the phone and its report downloaded for the hospital; an
engineer sets their own numbers and notification rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Page, expect

from pacs_kit.cli import create_api_key
from tests.browser import PHONE, axe, describe, shot
from tests.browser.conftest import PageFactory
from tests.browser.staff import incident_of, signed_in
from tests.browser.test_console_sign_in import untranslated
from tests.e2e.conftest import Platform

WORK = "SITE-WORK-01"  # an ordinary contract: response 2 h, on site 6 h, L2 after 2 h
SOON = "SITE-SOON-01"  # a contract whose response is due 20 minutes after the call
CASE = {"external_id": "KB-WORK-0001", "title": "Modality worklist empty after HIS interface engine restart",
        "symptom": "Modalities query the worklist and get no scheduled procedures",
        "root_cause": "HL7 ORM messages queued in the interface engine after its restart were never replayed",
        "resolution": "Replayed the queued ORM messages and enabled replay on restart"}  # fmt: skip


async def _site(client: httpx.AsyncClient, platform: Platform, site_id: str, contract: dict[str, str]) -> str:
    site = {"site_id": site_id, "name": f"{site_id.title()} Hospital", "region": "east",
            "account_engineer_id": "ENG-EAST-1", "contract": contract}  # fmt: skip
    assert (await client.post("/api/v1/sites", json=site)).status_code == 201
    return await create_api_key(site_id, ["intake"], f"{site_id} HIS", None, databases=platform.stack.database_urls,
                                namespace=platform.namespace)  # fmt: skip


async def _checked(page: Page, name: str) -> None:
    assert await untranslated(page) == []
    assert not describe(await axe(page)), describe(await axe(page))
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "fits a phone"
    await shot(page, name)


async def test_an_engineer_works_an_incident_through_its_life_from_a_phone(
    platform: Platform, new_page: PageFactory
) -> None:
    admin = {"Authorization": f"Bearer {platform.admin_token}"}
    async with httpx.AsyncClient(base_url=platform.url, headers=admin, timeout=30) as client:
        work_key = await _site(client, platform, WORK, {"response": "PT2H", "on_site": "PT6H"})
        soon_key = await _site(client, platform, SOON, {"response": "PT20M", "on_site": "PT6H"})
        assert (await client.post("/api/v1/knowledge/cases", json=[CASE])).status_code == 200
    incident = await incident_of(platform, work_key, WORK)
    due_soon = await incident_of(platform, soon_key, SOON)

    page = await signed_in(new_page, platform, "ENGINEER", viewport=PHONE)
    await page.goto(f"{platform.url}/console/incidents/{incident}?lang=en")
    await expect(page.locator("#site")).to_contain_text("Site-Work-01 Hospital")
    await expect(page.locator("#ladder-clock time.due")).to_have_text(re.compile(r"^in (1 h \d+|2 h 0) min$"))
    await expect(page.locator("main")).to_contain_text("Asia/Shanghai")

    await page.locator("#acknowledge").click()
    await expect(page.locator("#state")).to_have_text("acknowledged")
    await page.locator("#request-on-site").click()
    await expect(page.locator("#state")).to_have_text("on site needed")
    await expect(page.locator("#on-site-clock time.due")).to_have_text(re.compile(r"^in (5 h \d+|6 h 0) min$"))
    await _checked(page, "incident-on-site-needed-en-phone")
    await page.locator("#check-in").click()
    await expect(page.locator("#state")).to_have_text("on site")
    await expect(page.locator("#on-site-clock")).to_contain_text("on site since")  # the on-site clock stopped

    await page.locator("#pending-reason").fill("The hospital's network team has to open port 104 first")
    await page.locator("#pending").click()
    await expect(page.locator("#state")).to_have_text("waiting for the hospital")
    await expect(page.locator("#ladder-clock")).to_contain_text("paused")  # the ladder waits with the hospital
    assert await page.locator("#ladder-clock time.due").count() == 0
    await page.locator("#resume").click()
    await expect(page.locator("#state")).to_have_text("on site")  # back where it paused
    await expect(page.locator("#ladder-clock time.due")).to_be_visible()

    # the L2 engineer has the incident's page open, in Chinese: it follows the escalation without reloading
    l2 = await signed_in(new_page, platform, "ENGINEER2", viewport=PHONE, locale="zh-CN")
    await l2.goto(f"{platform.url}/console/incidents/{incident}")
    await expect(l2.locator("#tier")).to_have_text("L1")
    await l2.evaluate("window.stillTheSamePage = true")
    await page.locator("#escalate-reason").fill("Archive index corrupt: needs the L2 database specialist")
    await page.locator("#escalate").click()
    await expect(page.locator("#tier")).to_have_text("L2")
    await expect(page.locator("#owner")).to_have_text("ENG-L2-1")
    await expect(page.locator("#timeline")).to_contain_text("Archive index corrupt: needs the L2 database specialist")
    await expect(l2.locator("#tier")).to_have_text("L2", timeout=15_000)
    await expect(l2.locator("#owner")).to_have_text("ENG-L2-1")
    await expect(l2.locator("#timeline")).to_contain_text("Archive index corrupt")
    assert await l2.evaluate("window.stillTheSamePage === true"), "no reload"

    await page.locator("#root_cause").press_sequentially("worklist empty, ORM messages not replayed after restart")
    await expect(page.locator(f"#similar-{CASE['external_id']}")).to_contain_text(CASE["resolution"], timeout=15_000)
    await _checked(page, "incident-similar-cases-en-phone")

    # the L2 engineer finds it among the incidents escalated to them
    await l2.goto(f"{platform.url}/console/incidents?view=escalated")
    await expect(l2.locator(f"#incident-{incident}")).to_contain_text("Site-Work-01 Hospital")
    assert await l2.locator(f"#incident-{due_soon}").count() == 0, "an incident never escalated is not listed"
    await _checked(l2, "incidents-escalated-zh-CN-phone")
    await l2.goto(f"{platform.url}/console/incidents/{incident}")
    await _checked(l2, "incident-zh-CN-phone")

    # due within 30 minutes: the 20-minute response is there, the incident whose next step is hours away is not
    await page.goto(f"{platform.url}/console/incidents?view=due&lang=en")
    await expect(page.locator(f"#incident-{due_soon}")).to_contain_text(re.compile(r"response\s+in (1\d|20) min"))
    assert await page.locator(f"#incident-{incident}").count() == 0
    await _checked(page, "incidents-due-en-phone")


async def test_an_engineer_fills_in_a_pm_check_list_on_a_phone_and_downloads_the_report(
    platform: Platform, new_page: PageFactory
) -> None:
    first_due = datetime.now(UTC) + timedelta(days=10)
    plan = {"warranty_start": "2026-01-01", "warranty_end": "2028-12-31", "first_due_at": first_due.isoformat(),
            "engineer_id": "ENG-EAST-1", "system": "PACS 7.2 with RIS"}  # fmt: skip
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        admin = {"Authorization": f"Bearer {platform.admin_token}"}
        answer = await client.put(f"/api/v1/sites/{platform.site_id}/pm-plan", json=plan, headers=admin)
        assert answer.status_code == 200, answer.text
        visit_id = answer.json()["upcoming"][0]["visit_id"]

    page = await signed_in(new_page, platform, "ENGINEER", viewport=PHONE)
    await page.get_by_role("link", name="我的巡检").click()
    await expect(page.locator(f"#visit-{visit_id}")).to_contain_text("East Demo Hospital")
    await page.goto(f"{platform.url}/console/pm/{visit_id}?lang=en")
    await expect(page.locator("#status")).to_have_text("due")  # within the 14-day lead: the engineer was told
    await page.locator("#result-tablespace_use-attention").check()
    await page.locator("#value-tablespace_use").fill("91 %")
    await page.locator("#note-tablespace_use").fill("PACS_DATA grows 2 % a month: extend before March")
    await page.locator("#result-fans_cooling-fault").check()
    await page.locator("#follow_up").fill("Replace fan 2 of the archive server")
    await page.locator("#hospital_signatory").fill("Head of radiology IT")
    await _checked(page, "pm-checklist-en-phone")
    await page.locator("#complete").click()
    await expect(page.locator("#status")).to_have_text("completed")
    await expect(page.locator("#checks")).to_contain_text("Tablespace use: Attention · 91 %")
    await expect(page.locator("#checks")).to_contain_text("Fans and cooling: Fault")
    async with page.expect_download(timeout=60_000) as downloading:
        await page.locator("#report").click()
    report = await downloading.value
    assert report.suggested_filename == f"pm-report-{visit_id}.pdf"
    path = await report.path()
    assert path is not None and path.read_bytes().startswith(b"%PDF"), "the hospital gets a PDF"
    await _checked(page, "pm-completed-en-phone")


async def test_an_engineer_sets_their_own_numbers_and_rules_from_a_phone(
    platform: Platform, new_page: PageFactory
) -> None:
    page = await signed_in(new_page, platform, "ENGINEER2", viewport=PHONE, locale="zh-CN")
    await page.get_by_role("link", name="我的联系方式").click()
    await page.locator("#phones").fill("138 0013")
    await page.locator("#save").click()
    await expect(page.locator("[role=alert]")).to_contain_text("phones")  # refused by notify, nothing saved
    await page.locator("#phones").fill("+8613800138002")
    await page.locator("#rule-channel-0").select_option("push")
    await page.locator("#rule-after-0").fill("0")
    await page.locator("#rule-channel-1").select_option("sms")
    await page.locator("#rule-after-1").fill("10")
    await page.locator("#rule-repeat-1").fill("30")
    await page.locator("#rule-channel-2").select_option("")
    await page.locator("#day-6").check()
    await page.locator("#save").click()
    await expect(page.locator("#saved")).to_be_visible()
    await expect(page.locator("#rule-after-1")).to_have_value("10")
    await _checked(page, "contacts-zh-CN-phone")
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        admin = {"Authorization": f"Bearer {platform.admin_token}"}
        stored = (await client.get("/api/v1/engineers/ENG-L2-1/contacts", headers=admin)).json()
    assert stored["phones"] == ["+8613800138002"]
    assert stored["rules"] == [{"channel": "push", "after": "PT0M", "repeat": None},
                               {"channel": "sms", "after": "PT10M", "repeat": "PT30M"}]  # fmt: skip
    assert stored["working_hours"]["days"] == [1, 2, 3, 4, 5, 6]
