"""Transactional outbox: events are saved with the state that caused them, then relayed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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

log = logging.getLogger(__name__)


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

    async def pending(self, limit: int, since: datetime | None = None, until: datetime | None = None) -> list[Document]:
        """The oldest waiting events, within [since, until) when given.

        The bounds matter on a server that reads a query's whole range before its limit: after a
        long broker outage an unbounded read would cost the whole backlog on every poll.
        """
        window: dict[str, datetime] = {}
        if since is not None:
            window["$gte"] = since
        if until is not None:
            window["$lt"] = until
        query = {"created_at": window} if window else {}
        cursor = self.collection.find(query).sort("created_at", ASCENDING).limit(limit)
        return await cursor.to_list()

    async def oldest(self) -> datetime | None:
        doc = await self.collection.find_one({}, {"created_at": 1}, sort=[("created_at", ASCENDING)])
        return doc["created_at"] if doc else None

    async def remove_sent(self, ids: list[str]) -> None:
        await self.collection.delete_many({"_id": {"$in": ids}})  # published rows: no transaction writes them

    async def backlog(self) -> tuple[int, float]:
        """How many events wait, and the age in seconds of the oldest."""
        count = await self.collection.count_documents({})
        oldest = await self.collection.find_one({}, sort=[("created_at", ASCENDING)])
        age = (datetime.now(UTC) - oldest["created_at"]).total_seconds() if oldest else 0.0
        return count, age


class OutboxRelay:
    """Publishes pending events with confirms, many in flight, and deletes them once confirmed.

    It reads a window of `WINDOW` from a floor that follows the oldest event it has not yet
    published, with `LOOK_BACK` below the floor for transactions that commit late (and instances
    whose clocks differ). Every `RESCAN` the floor is found afresh from the oldest waiting event,
    so nothing is left behind for good.
    """

    WINDOW = timedelta(seconds=2)
    LOOK_BACK = timedelta(seconds=60)
    RESCAN = 60.0

    def __init__(self, outbox: Outbox, bus: Bus, metrics: ServiceMetrics, poll_seconds: float, batch: int = 500):
        self.outbox = outbox
        self.bus = bus
        self.metrics = metrics
        self.batch = batch
        self.loop = WorkLoop("outbox relay", self._step, poll_seconds)
        self.floor: datetime | None = None
        self.rescan_at = 0.0
        # Called with each event once the broker confirmed it: a service's counters of what it caused
        # (escalations, breaches) count events that left, never a transaction that was rolled back.
        self.observers: list[Callable[[Envelope], None]] = []

    def wake(self) -> None:
        """Called after a commit that added events, so they leave at once instead of at the next poll."""
        self.loop.wake()

    async def run(self) -> None:
        await self.loop.run()

    async def _step(self) -> bool:
        return await self.relay_once() >= self.batch

    async def relay_once(self) -> int:
        """Publish one window's batch; returns the batch size while a backlog remains, so the loop goes on."""
        now = datetime.now(UTC)
        if self.floor is None or time.monotonic() >= self.rescan_at:
            self.floor = await self.outbox.oldest() or now
            self.rescan_at = time.monotonic() + self.RESCAN
        until = self.floor + self.WINDOW
        docs = await self.outbox.pending(self.batch, self.floor - self.LOOK_BACK, until)
        sent: list[str] = []
        if docs:
            results = await asyncio.gather(*(self._publish(doc) for doc in docs), return_exceptions=True)
            sent = [doc["_id"] for doc, result in zip(docs, results, strict=True) if result is None]
            if sent:
                await self.outbox.remove_sent(sent)
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise failures[0]  # the floor stays: the failed events are retried at the next step
            self.metrics.outbox_lag.set((datetime.now(UTC) - docs[0]["created_at"]).total_seconds())
        else:
            self.metrics.outbox_lag.set(0)
        if len(docs) == self.batch:
            self.floor = max(self.floor, docs[-1]["created_at"])
            return len(sent)
        self.floor = min(until, now)  # the window is drained
        return self.batch if until < now else len(sent)

    async def _publish(self, doc: dict[str, Any]) -> None:
        envelope = Envelope.model_validate(doc["envelope"])
        await self.bus.publish(envelope, headers=doc.get("headers") or {})
        for observe in self.observers:
            try:
                observe(envelope)
            except Exception:  # a counter that broke must not send the event again
                log.exception("observer of %s failed", envelope.type)
