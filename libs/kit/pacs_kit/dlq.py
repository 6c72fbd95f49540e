"""Inspect and replay a service's dead-letter queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from pacs_kit.bus import DEAD_LETTER_REASON
from pacs_kit.topology import Topology


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    event_type: str | None
    reason: str
    deliveries: int
    preview: str


def _describe(message: AbstractIncomingMessage) -> DeadLetter:
    deaths: list[dict[str, Any]] = list(message.headers.get("x-death") or [])  # type: ignore[arg-type]
    reason = str(
        message.headers.get(DEAD_LETTER_REASON) or (deaths[0].get("reason", "unknown") if deaths else "unknown")
    )
    delivery_count = message.headers.get("x-delivery-count") or 0
    try:
        event_type = json.loads(message.body).get("type")
    except (ValueError, AttributeError):
        event_type = message.type
    return DeadLetter(
        message_id=message.message_id,
        event_type=event_type,
        reason=reason,
        deliveries=int(delivery_count) if isinstance(delivery_count, int | str) else 0,
        preview=message.body[:160].decode(errors="replace"),
    )


async def inspect(amqp_url: str, topology: Topology, limit: int = 50) -> list[DeadLetter]:
    """Look at up to `limit` dead letters without taking them off the queue."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(topology.dlq, passive=True)
        letters = []
        for _ in range(limit):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            letters.append(_describe(message))
        # closing the channel returns every message we looked at, unchanged, to the queue
        await channel.close()
    return letters


async def replay(amqp_url: str, topology: Topology, limit: int = 1000) -> tuple[int, int]:
    """Send dead letters back to the service's own queue, each removed only once confirmed.

    Returns (replayed, kept): messages that are not event envelopes stay in the queue as evidence.
    """
    connection = await aio_pika.connect(amqp_url)
    replayed = 0
    kept: list[AbstractIncomingMessage] = []
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(topology.dlq, passive=True)
        while replayed + len(kept) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            if _describe(message).event_type is None:
                kept.append(message)  # held unacked until the channel closes, so it is not read again
                continue
            headers = {k: v for k, v in message.headers.items() if not k.startswith("x-")}
            # the default exchange routes to the one queue named, not to every consumer of the type
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    type=message.type,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    headers=headers,
                ),
                routing_key=topology.queue,
            )
            await message.ack()
            replayed += 1
    return replayed, len(kept)
