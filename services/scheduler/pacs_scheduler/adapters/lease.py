"""A lease in the scheduler's database decides which instance ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from pacs_kit.mongo import Document, Repository

CLOCK = "sla-clock"


class Leases(Repository):
    collection_name = "leases"

    async def acquire(self, holder: str, ttl: timedelta) -> Document | None:
        """Take or renew the clock lease; the lease document (with the next tick number) when held."""
        now = datetime.now(UTC)
        try:
            return await self.collection.find_one_and_update(
                {"_id": CLOCK, "$or": [{"holder": holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": holder, "expires_at": now + ttl, "renewed_at": now}, "$inc": {"sequence": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return None  # another instance holds a live lease

    async def release(self, holder: str) -> None:
        await self.collection.update_one({"_id": CLOCK, "holder": holder}, {"$set": {"expires_at": datetime.now(UTC)}})

    async def current(self) -> Document | None:
        return await self.collection.find_one({"_id": CLOCK})
