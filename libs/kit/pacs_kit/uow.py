"""Unit of work: state changes and the events they cause commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_contracts import Envelope, Event
from pacs_kit import audit
from pacs_kit.audit import AuditLog, entry
from pacs_kit.mongo import Document, Mongo
from pacs_kit.outbox import Outbox, OutboxRelay

T = TypeVar("T")
REQUEST_TIMEOUT_SECONDS = 10.0


class Tx:
    """What a handler or route gets inside a transaction: the session and a way to emit events."""

    def __init__(self, session: AsyncClientSession, producer: str, correlation_id: str | None):
        self.session = session
        self.producer = producer
        self.correlation_id = correlation_id
        self.emitted: list[Document] = []
        self.after_commit: list[Callable[[], None]] = []
        self.change: dict[str, Any] = {}

    def audit(self, *, before: Any = None, after: Any = None) -> None:
        """What the object looked like before and after, for the audit record of this request."""
        self.change = {"before": before, "after": after}

    async def emit(self, event: Event, *, correlation_id: str | None = None) -> Envelope:
        """Queue an event; it is saved with the transaction and published only if it commits."""
        envelope = Envelope.wrap(event, producer=self.producer, correlation_id=correlation_id or self.correlation_id)
        self.emitted.append(Outbox.record(envelope))
        return envelope


class UnitOfWork:
    def __init__(self, mongo: Mongo, outbox: Outbox, relay: OutboxRelay, producer: str, audit: AuditLog,
                 retention: timedelta) -> None:  # fmt: skip
        self.mongo = mongo
        self.outbox = outbox
        self.relay = relay
        self.producer = producer
        self.audit = audit
        self.retention = retention

    async def run(
        self,
        work: Callable[[Tx], Awaitable[T]],
        *,
        correlation_id: str | None = None,
        timeout: float | None = REQUEST_TIMEOUT_SECONDS,
    ) -> T:
        """Run `work` in a transaction with the events it emits, then wake the relay so they leave at once.

        `timeout` bounds the whole attempt (retries included); None leaves it to the driver's two minutes.
        """
        attempts: list[Tx] = []

        async def body(session: AsyncClientSession) -> T:
            tx = Tx(session, self.producer, correlation_id)
            attempts.append(tx)
            result = await work(tx)
            await self.outbox.add_all(session, tx.emitted)
            if request is not None and request.mutating and not request.recorded:
                await self.audit.add(entry(self.producer, request, "committed", self.retention, **tx.change), session)
            return result

        request = audit.current.get()
        result = await self.mongo.in_transaction(body, timeout)
        if request is not None and request.mutating:
            request.recorded = True
        if attempts[-1].emitted:
            self.relay.wake()
        for hook in attempts[-1].after_commit:
            hook()
        return result
