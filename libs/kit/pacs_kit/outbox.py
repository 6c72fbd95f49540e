"""Transactional outbox: events are saved with the state that caused them, then relayed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_contracts import Envelope
from pacs_kit.loop import WorkLoop
from pacs_kit.mongo import Document, Repository
from pacs_kit.tracing import inject_context

if TYPE_CHECKING:
    from pacs_kit.bus import Bus
    from pacs_kit.metrics import ServiceMetrics


class Outbox(Repository):
    """Events of one service waiting to be published; a published event is deleted.

    Deleting rather than marking keeps the collection small and the relay's writes cheap (one
    index to maintain instead of three); what was published is on the bus and in the consumers'
    inboxes.
    """

    collection_name = "outbox"
    indexes = [IndexModel([("created_at", ASCENDING)])]

    @staticmethod
    def record(envelope: Envelope) -> Document:
        """The stored form of an event, with the trace context of the moment it was emitted."""
        return {
            "_id": str(envelope.event_id),
            "envelope": envelope.model_dump(mode="json"),
            "headers": inject_context(),
            "created_at": envelope.occurred_at,
        }

    async def add_all(self, session: AsyncClientSession, records: list[Document]) -> None:
        """Save events inside the caller's transaction, in one round trip."""
        if records:
            await self.collection.insert_many(records, session=session)

    async def pending(self, limit: int) -> list[Document]:
        cursor = self.collection.find().sort("created_at", ASCENDING).limit(limit)
        return await cursor.to_list()

    async def remove_sent(self, ids: list[str]) -> None:
        await self.collection.delete_many({"_id": {"$in": ids}})

    async def backlog(self) -> tuple[int, float]:
        """How many events wait, and the age in seconds of the oldest."""
        count = await self.collection.count_documents({})
        oldest = await self.collection.find_one({}, sort=[("created_at", ASCENDING)])
        age = (datetime.now(UTC) - oldest["created_at"]).total_seconds() if oldest else 0.0
        return count, age


class OutboxRelay:
    """Publishes pending events with confirms, many in flight, and marks them sent."""

    def __init__(self, outbox: Outbox, bus: Bus, metrics: ServiceMetrics, poll_seconds: float, batch: int = 500):
        self.outbox = outbox
        self.bus = bus
        self.metrics = metrics
        self.batch = batch
        self.loop = WorkLoop("outbox relay", self._step, poll_seconds)

    def wake(self) -> None:
        """Called after a commit that added events, so they leave at once instead of at the next poll."""
        self.loop.wake()

    async def run(self) -> None:
        await self.loop.run()

    async def _step(self) -> bool:
        return await self.relay_once() >= self.batch

    async def relay_once(self) -> int:
        """Publish one batch; returns how many were published."""
        docs = await self.outbox.pending(self.batch)
        if not docs:
            self.metrics.outbox_lag.set(0)
            return 0
        results = await asyncio.gather(*(self._publish(doc) for doc in docs), return_exceptions=True)
        sent = [doc["_id"] for doc, result in zip(docs, results, strict=True) if result is None]
        if sent:
            await self.outbox.remove_sent(sent)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        oldest = docs[0]["created_at"]
        self.metrics.outbox_lag.set((datetime.now(UTC) - oldest).total_seconds())
        return len(sent)

    async def _publish(self, doc: dict[str, Any]) -> None:
        envelope = Envelope.model_validate(doc["envelope"])
        await self.bus.publish(envelope, headers=doc.get("headers") or {})
