"""Helpers shared by the suites: waiting on conditions, factories, broker inspection."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx

from pacs_contracts import Envelope
from pacs_contracts.common import Tier
from pacs_contracts.events import EngineerRegistered, FaultReported
from pacs_devstack.stack import SERVICES


async def eventually(check: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        result = check()
        last = await result if inspect.isawaitable(result) else result
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout:.0f}s (last seen: {last!r})")


async def every_item(client: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    """All items of a paged listing, following its `next` links."""
    items: list[dict[str, Any]] = []
    page = (await client.get(path, params={**params, "limit": 500})).json()
    while True:
        items += page["items"]
        if not page.get("next"):
            return items
        page = (await client.get(page["next"])).json()


def rabbitmqctl(command: str) -> None:
    """`rabbitmqctl stop_app` / `start_app` on the shared local broker (a test that stops it starts it again)."""
    subprocess.run(["rabbitmqctl", command], check=True, capture_output=True, timeout=120)


async def all_ready(stack: Any) -> bool:
    """Whether every service of a devstack answers its readiness probe with 200."""
    async with httpx.AsyncClient(timeout=5) as client:
        for service in SERVICES:
            try:
                if (await client.get(stack.service_url(service) + "/readyz")).status_code != 200:
                    return False
            except httpx.TransportError:
                return False
    return True


def make_fault(site_id: str, **overrides: Any) -> dict[str, Any]:
    fault = {
        "site_id": site_id,
        "external_ref": f"HIS-{uuid.uuid4().hex[:12]}",
        "code": "PACS-ARCHIVE-DOWN",
        "severity": "critical",
        "equipment_id": "PACS-ARCH-01",
        "description": "Archive rejects new studies from CT2",
    }
    fault.update(overrides)
    return fault


async def queue_stats(amqp_url: str, queue: str) -> tuple[int, int]:
    """(messages, consumers) of a queue, by passive declare."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        result = declared.declaration_result
        return result.message_count or 0, result.consumer_count or 0
    finally:
        await connection.close()


async def delete_namespace(amqp_url: str, namespace: str, services: list[str]) -> None:
    """Remove a test namespace's queues and exchanges from the shared broker."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for service in services:
            for queue in (f"{namespace}.{service}", f"{namespace}.{service}.dlq"):
                await channel.queue_delete(queue)
        await channel.exchange_delete(f"{namespace}.events")
        await channel.exchange_delete(f"{namespace}.dead-letter")
    finally:
        await connection.close()


async def publish(amqp_url: str, namespace: str, envelope: Any) -> None:
    """Publish an envelope on a namespace's exchange, as another service would."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{namespace}.events")
        message = aio_pika.Message(envelope.model_dump_json().encode(), message_id=str(envelope.event_id))
        await exchange.publish(message, envelope.type)


def bearer(kit: Any, subject: str, *roles: str) -> dict[str, str]:
    """An Authorization header signed with an app's own token settings."""
    return {"Authorization": "Bearer " + kit.auth.tokens.mint(subject, list(roles), timedelta(minutes=5))}


async def register_engineer(amqp_url: str, namespace: str, notify: Any, engineer_id: str, contacts: dict[str, Any],
                            headers: dict[str, str] | None = None) -> None:  # fmt: skip
    """An engineer announced to notify as escalation would, with their contacts saved once notify knows them."""
    event = EngineerRegistered(engineer_id=engineer_id, name=engineer_id, region="east", tier=Tier.L1, locale="en")
    await publish(amqp_url, namespace, Envelope.wrap(event, producer="escalation"))

    async def saved() -> bool:
        r = await notify.put(f"/api/v1/engineers/{engineer_id}/contacts", json=contacts, headers=headers)
        return bool(r.status_code == 200)

    await eventually(saved, timeout=10, what=f"{engineer_id}'s contacts saved")


async def incident_for_fault(escalation: Any, amqp_url: str, namespace: str, site_id: str) -> str:
    """The id of the incident escalation opens for a fault reported on a site (as intake would report it)."""
    fault = FaultReported(fault_id=f"F-{uuid.uuid4().hex[:12]}", site_id=site_id, source="his", code="ARCHIVE-DOWN",
                          severity="critical", description="Archive down", reported_at=datetime.now(UTC))  # fmt: skip
    await publish(amqp_url, namespace, Envelope.wrap(fault, producer="intake"))

    async def opened() -> str | None:
        items = (await escalation.get("/api/v1/incidents", params={"fault_id": fault.fault_id})).json()["items"]
        return str(items[0]["incident_id"]) if items else None

    found: str = await eventually(opened, timeout=15, what=f"the incident of a fault on {site_id}")
    return found


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem document of a refusal with `status`, after checking it is one (RFC 9457)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body
