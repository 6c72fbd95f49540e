"""Notify's collections: the engineer read model and the notification log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class Engineers(Repository):
    """Engineers as announced by `engineer.registered`."""

    collection_name = "engineers"

    async def upsert(self, engineer: dict[str, Any], session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": engineer["_id"]}, engineer, upsert=True, session=session)

    async def get(self, engineer_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": engineer_id}, session=session)

    async def get_many(self, engineer_ids: set[str]) -> dict[str, Document]:
        docs = await self.collection.find({"_id": {"$in": sorted(engineer_ids)}}).to_list()
        return {d["_id"]: d for d in docs}


class Notifications(Repository):
    collection_name = "notifications"
    indexes = [
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("incident_id", ASCENDING), ("created_at", ASCENDING)]),
    ]

    async def add(self, notification: Document, session: AsyncClientSession) -> bool:
        """Queue a notification unless one with the same id exists; True when queued."""
        result = await self.collection.update_one(
            {"_id": notification["_id"]}, {"$setOnInsert": notification}, upsert=True, session=session
        )
        return result.upserted_id is not None

    async def queued(self, limit: int) -> list[Document]:
        return await self.collection.find({"status": "queued"}).sort("created_at", ASCENDING).limit(limit).to_list()

    async def mark_sent(self, sent: list[tuple[str, datetime]], session: AsyncClientSession) -> None:
        """Record a batch of deliveries in one round trip."""
        updates = [
            UpdateOne({"_id": nid}, {"$set": {"status": "sent", "sent_at": at}, "$inc": {"attempts": 1}})
            for nid, at in sent
        ]
        if updates:
            await self.collection.bulk_write(updates, session=session)

    async def acknowledge(self, notification_id: str, at: datetime, session: AsyncClientSession) -> None:
        await self.collection.update_one({"_id": notification_id},
                                         {"$set": {"status": "acknowledged", "acknowledged_at": at}},
                                         session=session)  # fmt: skip

    async def for_incident(self, incident_id: str | None, limit: int, offset: int) -> tuple[list[Document], int]:
        filters = {"incident_id": incident_id} if incident_id else {}
        cursor = self.collection.find(filters).sort("created_at", ASCENDING).skip(offset).limit(limit)
        return await cursor.to_list(), await self.collection.count_documents(filters)


class AckTokens(Repository):
    """One per message: which notification a link acknowledges, until when, and whether it was used."""

    collection_name = "ack_tokens"
    indexes = [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=7 * 86_400)]  # a week after expiry

    async def add(self, token: Document, session: AsyncClientSession) -> None:
        await self.collection.insert_one(token, session=session)

    async def get(self, token: str) -> Document | None:
        return await self.collection.find_one({"_id": token})

    async def use(self, token: str, now: datetime, session: AsyncClientSession) -> Document | None:
        """Spend a token that is unused and unexpired; None otherwise (the caller tells which)."""
        return await self.collection.find_one_and_update(
            {"_id": token, "used_at": None, "expires_at": {"$gt": now}}, {"$set": {"used_at": now}}, session=session
        )
