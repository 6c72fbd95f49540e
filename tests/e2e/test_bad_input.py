"""Bad input gets the right 4xx with a problem body, and nothing reaches the bus."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aio_pika
import httpx
import pytest

from pacs_contracts.events import FaultReported
from pacs_kit.cli import create_api_key
from tests.e2e.conftest import Platform
from tests.support import eventually, make_fault


@pytest.fixture
async def fault_tap(platform: Platform, amqp_url: str) -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    """A private queue that sees every `fault.reported` published on the platform's exchange."""
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(f"{platform.namespace}.events")
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, routing_key=FaultReported.type)
    yield queue
    await connection.close()


def _cases(platform: Platform, unknown_site_key: str) -> list[tuple[str, dict, bytes, int]]:
    good = make_fault(platform.site_id)
    key = {"X-API-Key": platform.his_key, "Content-Type": "application/json"}
    body = json.dumps
    return [
        ("malformed JSON", key, b'{"site_id": "SITE', 400),
        ("missing fields", key, body({"site_id": platform.site_id}).encode(), 422),
        ("wrong types", key, body({**good, "severity": "urgent", "description": 42}).encode(), 422),
        ("unknown field", key, body({**good, "patient_name": "x"}).encode(), 422),
        ("oversized body", key, body({**good, "description": "x" * 2_000_000}).encode(), 413),
        ("deeply nested body", key, body(good)[:-1].encode() + b', "extra": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
         400),
        ("body not in UTF-8", key, body(good).encode().replace(b"Archive", "Archív".encode("latin-1")), 400),
        ("no credential", {"Content-Type": "application/json"}, body(good).encode(), 401),
        ("wrong key", {**key, "X-API-Key": "pso_000000000000_nope"}, body(good).encode(), 401),
        ("bad token", {"Authorization": "Bearer not.a.jwt", "Content-Type": "application/json"}, body(good).encode(),
         401),
        ("staff token, not a HIS key", {"Authorization": f"Bearer {platform.agent_token}",
                                        "Content-Type": "application/json"}, body(good).encode(), 403),
        ("key of another site", {**key, "X-API-Key": platform.other_key}, body(good).encode(), 403),
        ("unknown site", {**key, "X-API-Key": unknown_site_key},
         body(make_fault("SITE-NOWHERE")).encode(), 422),
    ]  # fmt: skip


async def test_bad_faults_are_refused_with_problems_and_nothing_is_published(
    platform: Platform, fault_tap: aio_pika.abc.AbstractQueue
) -> None:
    unknown_site_key = await create_api_key(
        "SITE-NOWHERE", ["intake"], "unregistered", None, databases=platform.stack.database_urls,
        namespace=platform.namespace,
    )  # fmt: skip
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        for name, headers, content, status in _cases(platform, unknown_site_key):
            response = await client.post("/api/v1/faults", content=content, headers=headers)
            assert response.status_code == status, f"{name}: {response.status_code} {response.text[:300]}"
            assert response.headers["content-type"].startswith("application/problem+json"), name
            problem = response.json()
            assert problem["status"] == status and problem["title"] and problem["detail"], name

        good = await client.post(
            "/api/v1/faults", json=make_fault(platform.site_id), headers={"X-API-Key": platform.his_key}
        )
        assert good.status_code == 202

    async def published() -> int:
        declared = await fault_tap.channel.declare_queue(fault_tap.name, passive=True)
        return declared.declaration_result.message_count or 0

    await eventually(published, timeout=5, what="the good fault on the bus")
    message = await fault_tap.get(timeout=5)
    assert json.loads(message.body)["payload"]["fault_id"] == good.json()["fault_id"]
    await message.ack()
    assert await published() == 0, "only the good fault was published"


async def test_other_sites_faults_are_invisible_to_a_his_key(platform: Platform, his: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=platform.url, headers={"X-API-Key": platform.other_key}) as other:
        created = await other.post("/api/v1/faults", json=make_fault(platform.other_site_id))
        assert created.status_code == 202
        response = await his.get(f"/api/v1/faults/{created.json()['fault_id']}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
