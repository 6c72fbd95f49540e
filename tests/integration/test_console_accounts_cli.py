"""pacs-admin's account commands (the console's, through the `pacs_admin.commands` entry point) against the console's
real database: an account made there signs in at the console; unlocking, disabling, enabling and a new password
take effect as they do through the API."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pacs_console.admin import execute, parser
from pacs_console.main import create_app
from pacs_console.settings import ConsoleSettings

from tests.integration.conftest import running

PASSWORD = "a long enough pass phrase"
PACS_ADMIN = Path(sys.executable).parent / "pacs-admin"
LI_NA = "li.na\tLi Na\tengineer engineer=ENG-EAST-2\tregions=east\ten\tAsia/Shanghai"  # as list-accounts shows her


@pytest.fixture
async def console(settings_for: Callable[..., Any]) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(settings_for(ConsoleSettings))
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://svc") as c:
        yield c, app


async def pacs_admin(mongodb_urls: dict[str, str], namespace: str, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """The installed pacs-admin, run as an operator would, on the test's console database."""
    env = {**os.environ, "CONSOLE_MONGODB_URL": mongodb_urls["console"], "BUS_NAMESPACE": namespace}
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(
        str(PACS_ADMIN), *argv, env=env, stdin=pipe, stdout=pipe, stderr=pipe
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def _sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": username, "password": password})


async def test_an_account_made_with_pacs_admin_signs_in_at_the_console(
    console: Any, mongodb_urls: dict[str, str], namespace: str
) -> None:
    client, app = console
    create = ("create-account", "li.na", "--name", "Li Na", "--role", "engineer", "--engineer-id", "ENG-EAST-2",
              "--region", "east", "--language", "en")  # fmt: skip
    code, out, err = await pacs_admin(mongodb_urls, namespace, *create, stdin=PASSWORD + "\n")
    assert code == 0, err
    assert out.startswith(f"created {LI_NA}") and PASSWORD not in out
    stored = await app.state.deps.accounts.get("li.na")
    assert stored["password_hash"].startswith("$argon2id$") and PASSWORD not in str(stored)
    signed_in = await _sign_in(client, "li.na")
    assert signed_in.status_code == 200, signed_in.text
    assert app.state.kit.auth.tokens.verify(signed_in.json()["access_token"]).subject == "ENG-EAST-2"

    code, _, err = await pacs_admin(mongodb_urls, namespace, *create, stdin=PASSWORD + "\n")
    assert code == 1 and "the user name 'li.na' is taken" in err
    code, _, err = await pacs_admin(mongodb_urls, namespace, "create-account", "zhou", "--name", "Zhou", "--role",
                                    "engineer", stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 1 and "engineer_id" in err, "an engineer's account names its engineer record"
    code, _, err = await pacs_admin(mongodb_urls, namespace, "create-account", "zhou", "--name", "Zhou", "--role",
                                    "call-agent", stdin="short\n")  # fmt: skip
    assert code == 1 and "password" in err and "12 characters" in err
    code, out, _ = await pacs_admin(mongodb_urls, namespace, "list-accounts")
    assert code == 0 and out.splitlines() == [LI_NA + "\tactive"]


async def _run(mongodb_urls: dict[str, str], namespace: str, *argv: str, stdin: str = "") -> str:
    """One account command run in this process (as pacs-admin runs it); what it printed."""
    out = io.StringIO()
    code = await execute(parser().parse_args(argv), databases=mongodb_urls, namespace=namespace,
                         stdin=io.StringIO(stdin), out=out)  # fmt: skip
    assert code == 0, out.getvalue()
    return out.getvalue()


async def test_unlock_new_password_disable_and_enable_act_on_sign_in_and_sessions(
    console: Any, mongodb_urls: dict[str, str], namespace: str, tmp_path: Path
) -> None:
    client, app = console
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    await _run(mongodb_urls, namespace, "create-account", "desk", "--name", "Desk", "--role", "call-agent",
               "--password-file", str(secret))  # fmt: skip
    for _ in range(5):
        await _sign_in(client, "desk", "not the password at all")
    assert (await _sign_in(client, "desk")).status_code == 423
    assert "\tlocked" in await _run(mongodb_urls, namespace, "list-accounts")
    assert "\tactive" in await _run(mongodb_urls, namespace, "unlock-account", "desk")
    assert (await _sign_in(client, "desk")).status_code == 200
    assert (await client.post("/api/v1/auth/refresh")).status_code == 200

    printed = await _run(mongodb_urls, namespace, "set-password", "desk", "--generate-password")
    new_password = printed.rsplit("password (shown only now): ", 1)[1].strip()
    assert len(new_password) >= 20
    assert (await client.post("/api/v1/auth/refresh")).status_code == 401, "a new password ends the sessions"
    assert (await _sign_in(client, "desk")).status_code == 401
    assert (await _sign_in(client, "desk", new_password)).status_code == 200

    assert "\tdisabled" in await _run(mongodb_urls, namespace, "disable-account", "desk")
    assert (await client.post("/api/v1/auth/refresh")).status_code == 401, "disabling ends the sessions"
    assert (await _sign_in(client, "desk", new_password)).status_code == 401
    await _run(mongodb_urls, namespace, "enable-account", "desk")
    assert (await _sign_in(client, "desk", new_password)).status_code == 200

    trail = await app.state.kit.audit.search({"object_ids": "desk", "action": {"$regex": "^CLI "}}, 20)
    assert [(r["action"], r["outcome"]) for r in reversed(trail)] == [
        ("CLI pacs-admin create-account", 201), ("CLI pacs-admin unlock-account", 200),
        ("CLI pacs-admin set-password", 200), ("CLI pacs-admin disable-account", 200),
        ("CLI pacs-admin enable-account", 200)]  # fmt: skip
    assert trail[0]["actor"]["subject"].startswith("pacs-admin:") and new_password not in str(trail)
