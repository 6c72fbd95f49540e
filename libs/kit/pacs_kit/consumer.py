"""Consuming events: decode, deduplicate by event id, handle in a transaction, then ack.

Messages that arrive together are handled together, in one transaction (group commit): the
database pays one commit for the batch instead of one per message. A batch that fails is
split into single messages, so one poison message cannot hold back the others.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import time
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure

from pacs_contracts import Envelope, Event, UnknownEvent, parse_event
from pacs_kit.bus import BROKER_ERRORS
from pacs_kit.inbox import Inbox
from pacs_kit.metrics import ServiceMetrics, origin
from pacs_kit.tracing import extract_context, tracer
from pacs_kit.uow import Tx, UnitOfWork

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[None]]
HandlerTable = Mapping[type[Event], Handler]


@dataclass(frozen=True)
class Delivery:
    message: AbstractIncomingMessage | None  # None: handed in directly (`Consumer.handle`), not from the broker
    envelope: Envelope
    event: Event
    handler: Handler
    received: float


def handler_table(package: ModuleType) -> dict[type[Event], Handler]:
    """A service's handlers/ package as its handler table: one module per consumed event, whose `handle` takes
    that event (the type of its first parameter). The folder is the list; tests/unit/test_layout.py checks that
    each module is named after its event."""
    table: dict[type[Event], Handler] = {}
    for found in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{found.name}")
        handle = module.handle
        event = next(iter(typing.get_type_hints(handle).values()))
        table[event] = handle
    return table


def undecodable(exc: Exception) -> str:
    """Why a message is no event of ours, for the dead letter: field and complaint, never the values."""
    if isinstance(exc, ValidationError):
        return f"not a valid {exc.title}: " + "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors(include_input=False)
        )
    if isinstance(exc, KeyError):
        return f"no handler here for event type {exc}"
    return str(exc)


class Consumer:
    """Runs a service's handler table against incoming messages."""

    def __init__(
        self,
        handlers: HandlerTable,
        deps: Any,
        uow: UnitOfWork,
        inbox: Inbox,
        metrics: ServiceMetrics,
        dead_letter: Callable[[AbstractIncomingMessage, str], Awaitable[None]],
        max_batch: int = 50,
    ):
        self.handlers = {event.type: handler for event, handler in handlers.items()}
        self.deps = deps
        self.uow = uow
        self.inbox = inbox
        self.metrics = metrics
        self.max_batch = max_batch
        self._waiting: asyncio.Queue[Delivery] = asyncio.Queue()
        self._alone: set[asyncio.Task[None]] = set()
        self._tracer = tracer(__name__)
        self.dead_letter = dead_letter

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """The broker's callback: decode and queue for the batcher; poison is dead-lettered at once."""
        try:
            envelope = Envelope.model_validate_json(message.body)
            handler = self.handlers[envelope.type]
            event = parse_event(envelope)
        except (ValidationError, UnknownEvent, KeyError) as exc:
            # Retrying cannot make an undecodable message valid.
            reason = undecodable(exc)
            log.error("dead-lettering undecodable message %s: %s", message.message_id, reason)
            self.metrics.messages.labels(message.type or "unknown", "dead_lettered").inc()
            await self.dead_letter(message, reason)
            return
        await self._waiting.put(Delivery(message, envelope, event, handler, time.perf_counter()))

    async def run(self) -> None:
        """Handle whatever has arrived, as one batch, for as long as the service runs.

        A redelivered message is handled alone and concurrently: it may be locked by the open
        transaction of a process that died, until the database's transaction lifetime ends, and
        must not hold back the messages behind it. Those keep running should this loop fail and be started
        again (service.py supervises it); they end with the service.
        """
        origin.set("event")  # the database commands of this task, and of the tasks it starts, are the events'
        try:
            while True:
                batch: list[Delivery] = []
                while len(batch) < self.max_batch and (not batch or not self._waiting.empty()):
                    delivery = await self._waiting.get()
                    if delivery.message is not None and delivery.message.redelivered:
                        task = asyncio.create_task(self._process([delivery]))
                        self._alone.add(task)
                        task.add_done_callback(self._alone.discard)
                    else:
                        batch.append(delivery)
                await self._process(batch)
        except asyncio.CancelledError:
            for task in self._alone:
                task.cancel()
            raise

    async def _process(self, batch: list[Delivery]) -> None:
        try:
            outcomes = await self._until_database_answers(batch)
        except Exception:
            if len(batch) > 1:
                for delivery in batch:  # find the one that fails; the others go through
                    await self._process([delivery])
                return
            await self._return_to_queue(batch[0])
            return
        for delivery, outcome in zip(batch, outcomes, strict=True):
            await self._settle(delivery, outcome)

    async def _until_database_answers(self, batch: list[Delivery]) -> list[str]:
        # A database outage is not the messages' fault: hold them, unacked, instead of spending their deliveries.
        delay = 0.5
        while True:
            try:
                return await self.uow.run(lambda tx: self._handle(batch, tx), timeout=None)
            except ConnectionFailure:
                log.warning("database unreachable while handling %d message(s); retrying in %.1fs", len(batch), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _handle(self, batch: list[Delivery], tx: Tx) -> list[str]:
        seen = await self.inbox.seen_among(tx.session, [d.envelope for d in batch])
        outcomes: list[str] = []
        handled: list[Envelope] = []
        for delivery in batch:
            event_id = str(delivery.envelope.event_id)
            if event_id in seen:
                outcomes.append("duplicate")
                continue
            seen.add(event_id)
            tx.correlation_id = delivery.envelope.correlation_id
            context = extract_context(delivery.message.headers if delivery.message else {})
            name = f"{delivery.envelope.type} process"
            with self._tracer.start_as_current_span(name, context=context, kind=SpanKind.CONSUMER):
                await delivery.handler(delivery.event, tx=tx, deps=self.deps)
            handled.append(delivery.envelope)
            outcomes.append("handled")
        await self.inbox.record_all(tx.session, handled)
        return outcomes

    async def handle(self, envelopes: Sequence[Envelope]) -> list[str]:
        """Handle envelopes as one batch, as if they had arrived together off the queue: the same handlers, inbox
        and transaction, with nothing to ack. What each came to ("handled", "duplicate"), in order. For the
        handler tier of the tests, which drives a service's handlers against its database without the broker."""
        now = time.perf_counter()
        batch = [Delivery(None, e, parse_event(e), self.handlers[e.type], now) for e in envelopes]
        outcomes: list[str] = await self.uow.run(lambda tx: self._handle(batch, tx), timeout=None)
        return outcomes

    async def _settle(self, delivery: Delivery, outcome: str) -> None:
        assert delivery.message is not None, "only a message from the broker is settled"
        try:
            await delivery.message.ack()
        except BROKER_ERRORS as exc:
            # The channel died after the commit: the broker redelivers, and the inbox answers "duplicate".
            log.warning("ack of %s lost (%s); its redelivery will be deduplicated", delivery.envelope.event_id, exc)
        self.metrics.messages.labels(delivery.envelope.type, outcome).inc()
        if outcome == "handled":
            self.metrics.last_handled.labels(delivery.envelope.type).set_to_current_time()
        self.metrics.handler_duration.labels(delivery.envelope.type).observe(time.perf_counter() - delivery.received)

    async def _return_to_queue(self, delivery: Delivery) -> None:
        log.exception(
            "handler for %s failed on event %s; returned to the queue",
            delivery.envelope.type,
            delivery.envelope.event_id,
        )
        self.metrics.messages.labels(delivery.envelope.type, "failed").inc()
        await asyncio.sleep(0.2)  # a short pause so a failing message does not spin
        assert delivery.message is not None, "only a message from the broker returns to its queue"
        try:
            await delivery.message.nack(requeue=True)
        except BROKER_ERRORS as exc:
            log.warning("nack of %s lost (%s); the broker redelivers it anyway", delivery.envelope.event_id, exc)
