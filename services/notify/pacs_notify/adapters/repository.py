"""Notify's collections: the engineer read model and the notification log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class Engineers(Repository):
    """Engineers as announced by `engineer.registered`."""

    collection_name = "engineers"

    async def upsert(self, engineer: dict[str, Any], session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": engineer["_id"]}, engineer, upsert=True, session=session)

    async def get(self, engineer_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": engineer_id}, session=session)


class Notifications(Repository):
    collection_name = "notifications"
    indexes = [
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("incident_id", ASCENDING), ("created_at", ASCENDING)]),
    ]

    async def add(self, notification: Document, session: AsyncClientSession) -> bool:
        """Queue a notification unless one with the same id exists; True when queued."""
        existing = await self.collection.find_one({"_id": notification["_id"]}, session=session)
        if existing is not None:
            return False
        await self.collection.insert_one(notification, session=session)
        return True

    async def queued(self, limit: int) -> list[Document]:
        return await self.collection.find({"status": "queued"}).sort("created_at", ASCENDING).limit(limit).to_list()

    async def mark(self, notification_id: str, status: str, session: AsyncClientSession, **fields: Any) -> None:
        await self.collection.update_one(
            {"_id": notification_id}, {"$set": {"status": status, **fields}, "$inc": {"attempts": 1}}, session=session
        )

    async def for_incident(self, incident_id: str | None, limit: int, offset: int) -> tuple[list[Document], int]:
        filters = {"incident_id": incident_id} if incident_id else {}
        cursor = self.collection.find(filters).sort("created_at", ASCENDING).skip(offset).limit(limit)
        return await cursor.to_list(), await self.collection.count_documents(filters)

    async def sent_between(self, start: datetime, end: datetime) -> int:
        return await self.collection.count_documents({"sent_at": {"$gte": start, "$lt": end}})
