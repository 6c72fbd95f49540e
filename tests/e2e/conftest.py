"""The whole platform as separate processes behind nginx, on a namespace of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from pacs_devstack.seed import SITES, seed
from pacs_devstack.stack import SERVICES, Stack, StackConfig
from pacs_kit.cli import create_api_key
from tests.support import delete_namespace, eventually

# Gauges read back from the database, refreshed each second so a scrape sees a scenario's effect at once.
GAUGES_EVERY_SECOND = {"ESCALATION_GAUGE_REFRESH_SECONDS": "1", "MONITORING_GAUGE_REFRESH_SECONDS": "1",
                       "SCHEDULER_GAUGE_REFRESH_SECONDS": "1"}  # fmt: skip


@dataclass
class Platform:
    stack: Stack
    namespace: str
    his_key: str
    site_id: str
    other_key: str  # a key of another site
    other_site_id: str
    agent_token: str
    admin_token: str
    staff: dict[str, tuple[str, str]] = field(default_factory=dict)  # the console's demo accounts: (user, password)

    @property
    def url(self) -> str:
        return self.stack.gateway_url

    def notification_lines(self) -> list[str]:
        path = self.stack.notify_log
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@contextlib.contextmanager
def started_platform(amqp_url: str, gauges_every_second: bool = True) -> Iterator[Platform]:
    """The stack starts a database of its own (so a test may restart it), unless MONGODB_URL is set. Gauges
    read back from the database are refreshed every second unless `gauges_every_second` is false (a load
    test leaves the database to the load)."""
    namespace = f"e2e{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="pacs-e2e-") as run_dir:
        config = StackConfig.ephemeral(Path(run_dir), amqp_url, os.environ.get("MONGODB_URL"), namespace)
        if gauges_every_second:
            config.extra_env.update(GAUGES_EVERY_SECOND)
        stack = Stack(config)
        try:
            stack.start()
            creds = seed(stack.gateway_url, stack.database_urls, namespace)
            other_site = SITES[1]["site_id"]
            other_key = asyncio.run(
                create_api_key(
                    other_site, ["intake"], "other HIS", None, databases=stack.database_urls, namespace=namespace
                )
            )
            yield Platform(
                stack, namespace, creds.his_api_key, creds.his_site_id, other_key, other_site,
                creds.agent_token, creds.admin_token, creds.staff,
            )  # fmt: skip
        finally:
            stack.stop()
            asyncio.run(delete_namespace(amqp_url, namespace, list(SERVICES)))


@pytest.fixture(scope="session")
def platform(amqp_url: str) -> Iterator[Platform]:
    with started_platform(amqp_url) as started:
        yield started


@pytest.fixture
async def his(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.url, headers={"X-API-Key": platform.his_key}, timeout=30) as c:
        yield c


@pytest.fixture
async def admin(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {platform.admin_token}"}
    async with httpx.AsyncClient(base_url=platform.url, headers=headers, timeout=30) as c:
        yield c


@contextlib.asynccontextmanager
async def notify_with(platform: Platform, extra: dict[str, str]) -> AsyncIterator[None]:
    """Notify restarted with `extra` settings (its providers, say), then restarted as it was."""
    platform.stack.config.extra_env.update(extra)
    try:
        await asyncio.to_thread(platform.stack.restart, "notify")
        yield
    finally:
        for key in extra:
            platform.stack.config.extra_env.pop(key, None)
        await asyncio.to_thread(platform.stack.restart, "notify")


@contextlib.asynccontextmanager
async def own_site(platform: Platform, admin: httpx.AsyncClient) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """A hospital of the test's own (east region, the seed's engineers and rosters) and a client holding its key,
    for a test whose outcome other tests' incidents at the shared demo site would change. The key reaches the
    other services as an event: the first call through it may need a retry."""
    site_id = f"SITE-E2E-{uuid.uuid4().hex[:8].upper()}"
    site = {"site_id": site_id, "name": f"Test Hospital {site_id[-8:]}", "region": "east",
            "account_engineer_id": "ENG-EAST-1", "contract": {"response": "PT2H", "on_site": "PT6H"}}  # fmt: skip
    registered = await admin.post("/api/v1/sites", json=site)
    assert registered.status_code == 201, registered.text

    async def issued_key() -> httpx.Response | None:  # once intake heard of the site
        answer = await admin.post("/api/v1/site-keys", json={"site_id": site_id, "name": "test HIS"})
        assert answer.status_code in (201, 422), answer.text
        return answer if answer.status_code == 201 else None

    issued = await eventually(issued_key, timeout=15, what="intake knowing the new site")
    headers = {"X-API-Key": issued.json()["key"]}
    async with httpx.AsyncClient(base_url=platform.url, headers=headers, timeout=30) as client:
        yield site_id, client
