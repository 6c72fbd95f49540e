"""Every action taken from a page is audited with the signed-in user: the console's own record of a sign-in names
the account, and a service acting on a page's request records the token's subject (an engineer's record) with the
console account's user name beside it."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import expect

from pacs_kit.cli import create_api_key
from tests.browser.conftest import PageFactory
from tests.browser.staff import incident_of, signed_in
from tests.e2e.conftest import Platform
from tests.support import eventually

SITE = "SITE-AUDIT-01"


async def _records(client: httpx.AsyncClient, service: str, **params: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/api/v1/audit/{service}", params={**params, "limit": "100"})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


async def test_an_engineers_acknowledgement_from_the_page_is_audited_with_their_account(
    platform: Platform, new_page: PageFactory
) -> None:
    engineer_user, _ = platform.staff["ENGINEER"]
    admin = {"Authorization": f"Bearer {platform.admin_token}"}
    async with httpx.AsyncClient(base_url=platform.url, headers=admin, timeout=30) as client:
        site = {"site_id": SITE, "name": "Audit Demo Hospital", "region": "east", "account_engineer_id": "ENG-EAST-1"}
        assert (await client.post("/api/v1/sites", json=site)).status_code == 201
        key = await create_api_key(SITE, ["intake"], "audit HIS", None, databases=platform.stack.database_urls,
                                   namespace=platform.namespace)  # fmt: skip
        incident = await incident_of(platform, key, SITE)

        page = await signed_in(new_page, platform, "ENGINEER")
        await page.goto(f"{platform.url}/console/incidents/{incident}?lang=en")
        await page.locator("#acknowledge").click()
        await expect(page.locator("#state")).to_have_text("acknowledged")

        async def acknowledged() -> dict[str, Any] | None:
            records = await _records(client, "escalation", object_id=incident)
            return next((r for r in records if r["action"].endswith("/acknowledge")), None)

        record = await eventually(acknowledged, timeout=15, what="the acknowledgement in escalation's audit")
        assert record["outcome"] == "committed"
        assert record["actor"]["subject"] == "ENG-EAST-1", "the engineer's record, as the token names it"
        assert record["actor"]["username"] == engineer_user, "and the console account that acted"

        async def the_page_post() -> dict[str, Any] | None:
            records = await _records(client, "console", object_id=incident)
            return next((r for r in records if r["action"] == "POST /console/incidents/{incident_id}/{action}"), None)

        posted = await eventually(the_page_post, timeout=15, what="the page's POST in the console's audit")
        assert (posted["actor"]["subject"], posted["actor"]["username"]) == ("ENG-EAST-1", engineer_user)
        assert posted["object"]["action"] == "acknowledge" and posted["outcome"] == 303

        async def signed_in_record() -> dict[str, Any] | None:
            records = await _records(client, "console", action="POST /console/sign-in")
            return next((r for r in records if r["actor"]["username"] == engineer_user), None)

        sign_in = await eventually(signed_in_record, timeout=15, what="the sign-in in the console's audit")
        assert sign_in["outcome"] == 303 and sign_in["actor"]["roles"] == ["engineer"]
