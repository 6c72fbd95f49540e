"""Consuming events: decode, deduplicate by event id, handle in a transaction, then ack."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure

from pacs_contracts import Envelope, Event, UnknownEvent, parse_event
from pacs_kit.inbox import Inbox
from pacs_kit.metrics import ServiceMetrics
from pacs_kit.tracing import extract_context, tracer
from pacs_kit.uow import Tx, UnitOfWork

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[None]]
HandlerTable = Mapping[type[Event], Handler]


class Consumer:
    """Runs a service's handler table against incoming messages."""

    def __init__(self, handlers: HandlerTable, deps: Any, uow: UnitOfWork, inbox: Inbox, metrics: ServiceMetrics):
        self.handlers = {event.type: handler for event, handler in handlers.items()}
        self.deps = deps
        self.uow = uow
        self.inbox = inbox
        self.metrics = metrics
        self._tracer = tracer(__name__)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(message.body)
            handler = self.handlers[envelope.type]
            event = parse_event(envelope)
        except (ValidationError, UnknownEvent, KeyError) as exc:
            # Retrying cannot make an undecodable message valid: dead-letter it at once.
            log.error("dead-lettering undecodable message %s: %s", message.message_id, exc)
            self.metrics.messages.labels(message.type or "unknown", "dead_lettered").inc()
            await message.reject(requeue=False)
            return
        with self._tracer.start_as_current_span(
            f"{envelope.type} process", context=extract_context(message.headers), kind=SpanKind.CONSUMER
        ):
            await self._dispatch(message, envelope, event, handler)

    async def _dispatch(
        self, message: AbstractIncomingMessage, envelope: Envelope, event: Event, handler: Handler
    ) -> None:
        started = time.perf_counter()
        try:
            outcome = await self._handle_until_database_answers(envelope, event, handler)
        except Exception:
            log.exception("handler for %s failed on event %s; returned to the queue", envelope.type, envelope.event_id)
            self.metrics.messages.labels(envelope.type, "failed").inc()
            await asyncio.sleep(0.2)  # a short pause so a failing message does not spin
            await message.nack(requeue=True)
            return
        await message.ack()
        self.metrics.messages.labels(envelope.type, outcome).inc()
        self.metrics.handler_duration.labels(envelope.type).observe(time.perf_counter() - started)

    async def _handle_until_database_answers(self, envelope: Envelope, event: Event, handler: Handler) -> str:
        # A database outage is not the message's fault: hold it, unacked, instead of spending its deliveries.
        delay = 0.5
        while True:
            try:
                return await self._handle(envelope, event, handler)
            except ConnectionFailure:
                log.warning("database unreachable while handling %s; retrying in %.1fs", envelope.event_id, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _handle(self, envelope: Envelope, event: Event, handler: Handler) -> str:
        async def work(tx: Tx) -> str:
            if await self.inbox.seen(tx.session, envelope):
                return "duplicate"
            await handler(event, tx=tx, deps=self.deps)
            await self.inbox.record(tx.session, envelope)
            return "handled"

        return await self.uow.run(work, correlation_id=envelope.correlation_id)
