"""Unit of work: state changes and the events they cause commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_contracts import Envelope, Event
from pacs_kit.mongo import Mongo
from pacs_kit.outbox import Outbox, OutboxRelay

T = TypeVar("T")


class Tx:
    """What a handler or route gets inside a transaction: the session and a way to emit events."""

    def __init__(self, session: AsyncClientSession, outbox: Outbox, producer: str, correlation_id: str | None):
        self.session = session
        self._outbox = outbox
        self._producer = producer
        self.correlation_id = correlation_id
        self.after_commit: list[Callable[[], None]] = []

    async def emit(self, event: Event, *, correlation_id: str | None = None) -> Envelope:
        """Queue an event; it is published only if the transaction commits."""
        return await self._outbox.add(
            self.session, event, producer=self._producer, correlation_id=correlation_id or self.correlation_id
        )


class UnitOfWork:
    def __init__(self, mongo: Mongo, outbox: Outbox, relay: OutboxRelay, producer: str) -> None:
        self.mongo = mongo
        self.outbox = outbox
        self.relay = relay
        self.producer = producer

    async def run(self, work: Callable[[Tx], Awaitable[T]], *, correlation_id: str | None = None) -> T:
        """Run `work` in a transaction, then wake the relay so emitted events leave at once."""

        attempts: list[Tx] = []

        async def body(session: AsyncClientSession) -> T:
            attempts.append(Tx(session, self.outbox, self.producer, correlation_id))
            return await work(attempts[-1])

        result = await self.mongo.in_transaction(body)
        self.relay.wake()
        for hook in attempts[-1].after_commit:
            hook()
        return result
