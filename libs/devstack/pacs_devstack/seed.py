"""A demo estate: three hospitals, six engineers across the tiers, one HIS key."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from pacs_kit.auth import TokenIssuer
from pacs_kit.cli import SITE_KEY_SERVICES, create_api_key
from pacs_kit.mongo import Mongo
from pacs_kit.settings import ServiceSettings

ENGINEERS = [
    {"engineer_id": "ENG-EAST-1", "name": "Li Wei", "region": "east", "tier": "L1", "locale": "zh-CN"},
    {"engineer_id": "ENG-NORTH-1", "name": "Zhang Min", "region": "north", "tier": "L1", "locale": "zh-CN"},
    {"engineer_id": "ENG-SOUTH-1", "name": "Chen Jie", "region": "south", "tier": "L1", "locale": "en"},
    {"engineer_id": "ENG-L2-1", "name": "Wang Fang", "region": "east", "tier": "L2", "locale": "zh-CN"},
    {"engineer_id": "ENG-L3-1", "name": "Liu Yang", "region": "east", "tier": "L3", "locale": "en"},
    {"engineer_id": "ENG-L4-1", "name": "Sun Hao", "region": "global", "tier": "L4", "locale": "en"},
]
SITES: list[dict[str, Any]] = [
    {"site_id": "SITE-EAST-01", "name": "East Demo Hospital", "region": "east", "account_engineer_id": "ENG-EAST-1",
     "phones": ["+86 21 5555 0101"], "city": "Shanghai", "aliases": ["上海东区示范医院"]},
    {"site_id": "SITE-NORTH-01", "name": "North Demo Hospital", "region": "north",
     "account_engineer_id": "ENG-NORTH-1", "phones": ["+86 10 5555 0202"], "city": "Beijing",
     "aliases": ["北京北区示范医院"]},
    {"site_id": "SITE-SOUTH-01", "name": "South Demo Hospital", "region": "south",
     "account_engineer_id": "ENG-SOUTH-1", "time_zone": "Asia/Shanghai", "phones": ["+86 20 5555 0303"],
     "city": "Guangzhou", "aliases": ["广州南区示范医院"]},
]  # fmt: skip
CONTRACT = {"response": "PT2H", "on_site": "PT6H"}


STAFF = {  # the console's demo accounts: (prefix in demo.env) → the account, less its password
    "AGENT": {"username": "agent", "display_name": "Demo Agent", "roles": ["call-agent"], "locale": "zh-CN"},
    "ENGINEER": {"username": "li.wei", "display_name": "Li Wei", "roles": ["engineer"], "engineer_id": "ENG-EAST-1",
                 "regions": ["east"], "locale": "zh-CN"},
    "ENGINEER2": {"username": "wang.fang", "display_name": "Wang Fang", "roles": ["engineer"],
                  "engineer_id": "ENG-L2-1", "regions": ["east"], "locale": "zh-CN"},
    "SUPERVISOR": {"username": "supervisor", "display_name": "Demo Supervisor", "roles": ["supervisor"],
                   "regions": ["east", "north", "south"], "locale": "en"},
    "ADMIN": {"username": "admin", "display_name": "Demo Admin", "roles": ["admin"], "locale": "en"},
}  # fmt: skip


@dataclass(frozen=True)
class DemoCredentials:
    his_api_key: str
    his_site_id: str
    agent_token: str
    admin_token: str
    staff: dict[str, tuple[str, str]] = field(default_factory=dict)  # prefix → (user name, password)


def _staff(client: httpx.Client) -> dict[str, tuple[str, str]]:
    """The demo accounts, each with a new password every run (an account kept from an earlier run gets it too)."""
    found = {}
    for prefix, account in STAFF.items():
        password = secrets.token_urlsafe(12)
        response = client.post("/api/v1/accounts", json={**account, "password": password})
        if response.status_code == 409:
            response = client.patch(f"/api/v1/accounts/{account['username']}",
                                    json={"password": password, "unlock": True, "disabled": False})  # fmt: skip
        if not response.is_success:
            raise RuntimeError(f"seeding the account {account['username']} failed: {response.status_code} "
                               f"{response.text}")  # fmt: skip
        found[prefix] = (str(account["username"]), password)
    return found


def tokens(settings: ServiceSettings) -> tuple[str, str]:
    issuer = TokenIssuer.of(settings)
    ttl = timedelta(days=7)
    return (
        issuer.mint("demo-agent", ["call-agent"], ttl),
        issuer.mint("demo-admin", ["admin", "supervisor"], ttl),
    )


def _post(client: httpx.Client, path: str, body: Mapping[str, object]) -> None:
    response = client.post(path, json=body)
    if response.status_code not in (201, 409):  # 409: already there from an earlier run
        raise RuntimeError(f"seeding {path} failed: {response.status_code} {response.text}")


def seed(gateway_url: str, databases: Mapping[str, str], namespace: str, timeout: float = 30.0) -> DemoCredentials:
    settings = ServiceSettings(service_name="devstack", bus_namespace=namespace)
    agent, admin = tokens(settings)
    with httpx.Client(base_url=gateway_url, headers={"Authorization": f"Bearer {admin}"}, timeout=10) as client:
        for engineer in ENGINEERS:
            _post(client, "/api/v1/engineers", engineer)
        for site in SITES:
            _post(client, "/api/v1/sites", {**site, "contract": CONTRACT})
        staff = _staff(client)
    site_id = SITES[0]["site_id"]
    key = asyncio.run(
        create_api_key(site_id, list(SITE_KEY_SERVICES), "demo HIS", None, databases=databases, namespace=namespace)
    )
    _wait_until_intake_knows(databases["intake"], namespace, [s["site_id"] for s in SITES], timeout)
    return DemoCredentials(his_api_key=key, his_site_id=site_id, agent_token=agent, admin_token=admin, staff=staff)


def _wait_until_intake_knows(mongodb_url: str, namespace: str, site_ids: list[str], timeout: float) -> None:
    """Sites reach intake as events; the launcher waits on intake's read model before printing the demo."""

    async def known() -> int:
        settings = ServiceSettings(service_name="intake", mongodb_url=mongodb_url, bus_namespace=namespace)
        mongo = Mongo(settings.mongodb_url, settings.database)
        try:
            return await mongo.db["sites"].count_documents({"_id": {"$in": site_ids}})
        finally:
            await mongo.close()

    deadline = time.monotonic() + timeout
    while asyncio.run(known()) < len(site_ids):
        if time.monotonic() > deadline:
            raise TimeoutError("intake did not learn the demo sites in time; see .run/logs/intake.log")
        time.sleep(0.2)
