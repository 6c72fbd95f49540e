"""Staff accounts and sign-in: Argon2id hashes, the platform's own tokens, a lockout after repeated failures that
an admin can lift, a session cookie that renews the token until sign-out, and pages whose forms need their CSRF
token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pacs_console.main import create_app
from pacs_console.settings import ConsoleSettings

from tests.integration.conftest import running
from tests.support import bearer

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def console(settings_for: Callable[..., Any]) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], Any]]:
    app = create_app(settings_for(ConsoleSettings))
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://svc") as client,
    ):
        yield client, bearer(app.state.kit, "ops", "admin"), app  # over HTTPS: the session cookie is Secure


async def _account(client: httpx.AsyncClient, admin: dict[str, str], username: str, **fields: Any) -> None:
    body = {"username": username, "display_name": username.title(), "password": PASSWORD, "roles": ["call-agent"],
            **fields}  # fmt: skip
    response = await client.post("/api/v1/accounts", json=body, headers=admin)
    assert response.status_code == 201, response.text


async def _token(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": username, "password": password})


async def test_a_signed_in_engineer_gets_the_platforms_token_naming_their_engineer_record(console: Any) -> None:
    client, admin, app = console
    await _account(client, admin, "li.wei", roles=["engineer"], engineer_id="ENG-EAST-1", regions=["east"])
    stored = await app.state.deps.accounts.get("li.wei")
    assert stored["password_hash"].startswith("$argon2id$") and PASSWORD not in str(stored)
    response = await _token(client, "Li.Wei")  # user names are not case-sensitive
    assert response.status_code == 200, response.text
    issued = response.json()
    assert issued["token_type"] == "bearer" and 60 <= issued["expires_in"] <= 3_600
    principal = app.state.kit.auth.tokens.verify(issued["access_token"])
    assert (principal.subject, set(principal.roles), principal.regions) == ("ENG-EAST-1", {"engineer"}, ("east",))
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("pso_session=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=strict" in cookie.lower()
    assert (await client.get("/api/v1/accounts", headers=admin)).json()["items"][0]["username"] == "li.wei"
    nameless = {"username": "x1", "display_name": "X", "password": PASSWORD, "roles": ["engineer"]}
    refused = await client.post("/api/v1/accounts", json=nameless, headers=admin)
    assert refused.status_code == 422 and "engineer_id" in refused.json()["detail"]


async def test_five_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(console: Any) -> None:
    client, admin, _ = console
    await _account(client, admin, "agent")
    for attempt in range(4):
        wrong = await _token(client, "agent", "not the password at all")
        assert wrong.status_code == 401, f"attempt {attempt + 1}: {wrong.text}"
        assert wrong.json()["error"] == "invalid_grant"
    locked = await _token(client, "agent", "not the password at all")
    assert locked.status_code == 423 and int(locked.headers["retry-after"]) > 800
    assert locked.headers["content-type"] == "application/problem+json"
    assert (await _token(client, "agent")).status_code == 423, "even the right password waits out the lock"
    unknown = await _token(client, "nobody-here")
    assert unknown.status_code == 401 and unknown.json()["detail"] == wrong.json()["detail"], "no hint who exists"
    listed = (await client.get("/api/v1/accounts/agent", headers=admin)).json()
    assert listed["locked_until"] is not None
    unlocked = await client.patch("/api/v1/accounts/agent", json={"unlock": True}, headers=admin)
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert (await _token(client, "agent")).status_code == 200


async def test_the_session_cookie_renews_the_token_until_sign_out_or_the_account_is_disabled(console: Any) -> None:
    client, admin, _ = console
    await _account(client, admin, "supervisor", roles=["supervisor"])
    assert (await _token(client, "supervisor")).status_code == 200
    renewed = await client.post("/api/v1/auth/refresh")
    assert renewed.status_code == 200 and renewed.json()["access_token"]
    assert (await client.post("/api/v1/auth/sign-out")).status_code == 204
    client.cookies.clear()
    assert (await client.post("/api/v1/auth/refresh")).status_code == 401
    assert (await _token(client, "supervisor")).status_code == 200
    disabled = await client.patch("/api/v1/accounts/supervisor", json={"disabled": True}, headers=admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert (await client.post("/api/v1/auth/refresh")).status_code == 401, "disabling ends the session"
    assert (await _token(client, "supervisor")).status_code == 401


async def test_the_sign_in_page_needs_its_csrf_token_and_sends_the_security_headers(console: Any) -> None:
    client, admin, _ = console
    await _account(client, admin, "agent2", locale="en")
    page = await client.get("/console/sign-in", headers={"accept-language": "en-GB,en"})
    assert page.status_code == 200 and "Sign in" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    forged = await client.post("/console/sign-in", data={"username": "agent2", "password": PASSWORD})
    assert forged.status_code == 403 and "pso_session" not in forged.headers.get("set-cookie", "")
    signed_in = await client.post("/console/sign-in", data={"username": "agent2", "password": PASSWORD,
                                                            "csrf": csrf.group(1)})  # fmt: skip
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/"
    home = await client.get("/console/")
    assert home.status_code == 200 and "Agent2 (agent2)" in home.text and "Call agent" in home.text
    sign_out = re.search(r'name="csrf" value="([0-9a-f]+)"', home.text)
    assert sign_out is not None and sign_out.group(1) != csrf.group(1), "bound to the session, not the page"
    assert (await client.post("/console/sign-out", data={})).status_code == 403
    assert (await client.get("/console/")).status_code == 200, "a refused sign-out ends nothing"
    done = await client.post("/console/sign-out", data={"csrf": sign_out.group(1)})
    assert done.status_code == 303
    assert (await client.get("/console/")).headers["location"] == "/console/sign-in"


async def test_the_home_page_shows_times_in_the_users_own_zone_which_an_admin_can_change(console: Any) -> None:
    client, admin, _ = console
    await _account(client, admin, "agent3", locale="en")
    assert (await client.get("/api/v1/accounts/agent3", headers=admin)).json()["time_zone"] == "Asia/Shanghai"
    bad = await client.patch("/api/v1/accounts/agent3", json={"time_zone": "Mars/Olympus_Mons"}, headers=admin)
    assert bad.status_code == 422
    moved = await client.patch("/api/v1/accounts/agent3", json={"time_zone": "Europe/London"}, headers=admin)
    assert moved.status_code == 200 and moved.json()["time_zone"] == "Europe/London"
    page = await client.get("/console/sign-in")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    await client.post("/console/sign-in", data={"username": "agent3", "password": PASSWORD, "csrf": csrf.group(1)})
    home = (await client.get("/console/")).text
    ends = re.search(r"Session ends</dt>\s*<dd><time datetime=\"[^\"]+\">([^<]+)</time>", home)
    assert ends is not None and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC(\+01:00)?", ends.group(1)), ends
