"""RabbitMQ through aio-pika: robust connection, quorum queue with a dead-letter queue, confirms."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import AMQPError
from aiormq.exceptions import ChannelInvalidStateError

from pacs_contracts import Envelope, Event
from pacs_kit.topology import Topology

log = logging.getLogger(__name__)
MessageCallback = Callable[[AbstractIncomingMessage], Awaitable[None]]

DEAD_LETTER_REASON = "x-pacs-dead-letter-reason"

# What a broker operation raises when the connection or channel went away under it. aiormq reports a channel
# that closed meanwhile as ChannelInvalidStateError, a RuntimeError rather than an AMQPError.
BROKER_ERRORS: tuple[type[Exception], ...] = (AMQPError, ChannelInvalidStateError)


class Bus:
    """One robust connection: a confirming channel to publish, another to consume."""

    def __init__(self, url: str, topology: Topology, *, prefetch: int, delivery_limit: int) -> None:
        self.url = url
        self.topology = topology
        self.prefetch = prefetch
        self.delivery_limit = delivery_limit
        self.connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._consume_channel: AbstractChannel | None = None

    async def connect(self, timeout: float = 30.0) -> None:
        """Connect, retrying until `timeout`, then declare the exchanges."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.connection = await aio_pika.connect_robust(
                    self.url,
                    client_properties={"connection_name": self.topology.service},
                    reconnect_interval=1,
                )
                break
            except (OSError, aio_pika.exceptions.AMQPError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        self._publish_channel = await self.connection.channel(publisher_confirms=True)
        self._exchange = await self._declare_exchanges(self._publish_channel)

    async def _declare_exchanges(self, channel: AbstractChannel) -> AbstractExchange:
        await channel.declare_exchange(self.topology.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        return await channel.declare_exchange(self.topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)

    async def publish(self, envelope: Envelope, headers: dict[str, Any] | None = None) -> None:
        """Publish persistently and wait for the broker's confirm."""
        if self._exchange is None:
            raise RuntimeError("bus not connected")
        message = aio_pika.Message(
            envelope.model_dump_json().encode(),
            message_id=str(envelope.event_id),
            correlation_id=envelope.correlation_id,
            type=envelope.type,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={**(headers or {}), "x-event-version": envelope.version},
            app_id=envelope.producer,
        )
        await self._exchange.publish(message, routing_key=envelope.type)

    async def dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        """Put a message the service cannot decode into its `.dlq` with the reason, then take it off the queue.

        The broker's own dead-lettering only says "rejected"; the copy says why. Should the copy not be
        confirmed, the message is rejected into the `.dlq` all the same, without the reason."""
        if self._publish_channel is None:
            raise RuntimeError("bus not connected")
        copy = aio_pika.Message(
            message.body, message_id=message.message_id, type=message.type, content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={**(message.headers or {}), DEAD_LETTER_REASON: reason[:1000],
                     "x-pacs-routing-key": message.routing_key or ""},
        )  # fmt: skip
        try:
            dlx = await self._publish_channel.get_exchange(self.topology.dead_letter_exchange)
            await dlx.publish(copy, routing_key=self.topology.queue)
        except BROKER_ERRORS:
            await message.reject(requeue=False)
            raise
        await message.ack()

    async def declare_queue(self, channel: AbstractChannel, events: Iterable[type[Event]]) -> AbstractQueue:
        """The service's quorum queue, bound to what it consumes, dead-lettering into its `.dlq`."""
        t = self.topology
        dlx = await channel.declare_exchange(t.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        dlq = await channel.declare_queue(t.dlq, durable=True, arguments={"x-queue-type": "quorum"})
        await dlq.bind(dlx, routing_key=t.queue)
        queue = await channel.declare_queue(
            t.queue,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": t.dead_letter_exchange,
                "x-dead-letter-routing-key": t.queue,
            },
        )
        exchange = await channel.declare_exchange(t.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        for event in events:
            await queue.bind(exchange, routing_key=t.routing_key(event))
        return queue

    async def consume(self, events: Iterable[type[Event]], callback: MessageCallback) -> None:
        """Attach the consumer; the robust channel re-attaches it after a reconnect."""
        if self.connection is None:
            raise RuntimeError("bus not connected")
        self._consume_channel = await self.connection.channel()
        await self._consume_channel.set_qos(prefetch_count=self.prefetch)
        queue = await self.declare_queue(self._consume_channel, events)
        await queue.consume(callback, no_ack=False)

    @property
    def consuming(self) -> bool:
        """Our own consumer's channel is open (the queue's consumer count may be another instance's)."""
        return self._consume_channel is not None and not self._consume_channel.is_closed

    async def queue_stats(self, name: str) -> tuple[int, int]:
        """(messages, consumers) of a queue, read with a passive declare on a short-lived channel."""
        if self.connection is None or self.connection.is_closed:
            raise ConnectionError("broker connection is down")
        channel = await self.connection.channel()
        try:
            queue = await channel.declare_queue(name, passive=True)
            result = queue.declaration_result
            return result.message_count or 0, result.consumer_count or 0
        finally:
            await channel.close()

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
