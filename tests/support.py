"""Helpers shared by the suites: waiting on conditions, factories, broker inspection."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aio_pika


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
