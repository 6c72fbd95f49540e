"""MongoDB access through PyMongo's AsyncMongoClient: repositories declare their indexes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

import pymongo
from pymongo import AsyncMongoClient, IndexModel, monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from pacs_kit.documents import Document

if TYPE_CHECKING:
    from pacs_kit.uow import Tx

__all__ = ["Document", "Mongo", "ReadModel", "Repository"]

T = TypeVar("T")


class Mongo:
    """One client and the service's own database."""

    def __init__(self, url: str, database: str, listeners: list[monitoring.CommandListener] | None = None) -> None:
        # A request waits at most 3 s for a database it cannot reach, then is answered 503. The driver's
        # heartbeat waits for its answer as long as a connection may take (connectTimeoutMS): kept at 10 s, a
        # database that is busy, not gone, is not declared down, which would turn away every request meanwhile.
        # One that is gone refuses the connection at once, whatever this says.
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, tz_aware=True, serverSelectionTimeoutMS=3000, connectTimeoutMS=10_000, event_listeners=listeners or []
        )
        self.db = self.client[database]

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            await self.client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    async def wait_until_reachable(self, timeout: float) -> None:
        """Block start-up until the database answers, so a service may start before it."""
        deadline = time.monotonic() + timeout
        while not await self.ping():
            if time.monotonic() > deadline:
                raise RuntimeError(f"database not reachable within {timeout:.0f}s")
            await asyncio.sleep(0.5)

    async def in_transaction(self, work: Callable[[AsyncClientSession], Awaitable[T]], timeout: float | None) -> T:
        """Run `work` in one transaction, retried by the driver on transient errors for up to `timeout` seconds.

        Without a timeout the driver retries for two minutes, which a waiting HTTP client should not see.
        """
        async with self.client.start_session() as session:
            if timeout is None:
                return await session.with_transaction(work)
            with pymongo.timeout(timeout):
                return await session.with_transaction(work)

    async def close(self) -> None:
        await self.client.close()


class Repository:
    """A collection with the indexes it needs; subclasses add the queries."""

    collection_name: ClassVar[str]
    indexes: ClassVar[list[IndexModel]] = []

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self.collection: AsyncCollection[Document] = mongo.db[self.collection_name]

    async def ensure_indexes(self) -> None:
        """Create the declared indexes (idempotent; run at start-up)."""
        if self.indexes:
            await self.collection.create_indexes(self.indexes)

    def add_on_commit(self, tx: Tx, doc: Document) -> None:
        """Insert `doc` as the transaction commits, in one round trip with its other inserts into this collection."""
        tx.insert(self.collection, doc)

    async def update_many_tx(self, query: Document, update: Document) -> int:
        """`updateMany` in a transaction of its own, for an update made outside the caller's: the number modified.

        Outside a transaction SecantusDB retries a write conflict for as long as it lasts while holding the
        collection's lock. Against the open transaction of a process that was killed, it lasts until that
        transaction expires, and the lock held meanwhile keeps the expiry from running: the whole server wedges
        (found by the fault tests). Inside a transaction the conflict comes back at once and the driver retries.
        tests/unit/test_database_writes.py keeps every other updateMany inside a transaction. (A deleteMany
        outside one is kept for rows no transaction writes any more: published outbox rows, probe history.)"""

        async def work(session: AsyncClientSession) -> int:
            return (await self.collection.update_many(query, update, session=session)).modified_count

        return await self.mongo.in_transaction(work, timeout=None)


class ReadModel(Repository):
    """A service's own copy of another's records, kept from their events: replaced whole, read by id."""

    async def upsert(self, doc: Document, session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)

    async def get(self, doc_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": doc_id}, session=session)
