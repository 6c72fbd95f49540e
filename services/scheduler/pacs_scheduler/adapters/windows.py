"""Maintenance windows, with guarded state changes so that each is started and ended once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class Windows(Repository):
    collection_name = "maintenance_windows"
    indexes = [
        IndexModel([("state", ASCENDING), ("starts_at", ASCENDING)]),
        IndexModel([("state", ASCENDING), ("ends_at", ASCENDING)]),
        IndexModel([("site_id", ASCENDING), ("starts_at", DESCENDING)]),
    ]

    async def add(self, window: Document, session: AsyncClientSession) -> None:
        await self.collection.insert_one(window, session=session)

    async def get(self, window_id: str) -> Document | None:
        return await self.collection.find_one({"_id": window_id})

    async def search(self, filters: dict[str, Any], limit: int, offset: int) -> tuple[list[Document], int]:
        cursor = self.collection.find(filters).sort("starts_at", DESCENDING).skip(offset).limit(limit)
        return await cursor.to_list(), await self.collection.count_documents(filters)

    async def due(self, state: str, field: str, now: datetime, limit: int) -> list[Document]:
        """Windows in `state` whose `field` (starts_at or ends_at) has come."""
        query = {"state": state, field: {"$lte": now}}
        return await self.collection.find(query).sort(field, ASCENDING).limit(limit).to_list()

    async def move(self, window_id: str, from_state: str, fields: dict[str, Any], session: AsyncClientSession) -> bool:
        """Change state only if the window is still in `from_state`: False if another instance did it."""
        result = await self.collection.update_one(
            {"_id": window_id, "state": from_state}, {"$set": fields}, session=session
        )
        return result.modified_count == 1

    async def touching(self, sites: list[str], start: datetime, end: datetime) -> list[Document]:
        """The sites' windows, cancelled ones left out, that overlap [start, end): planned time for a review."""
        query = {"site_id": {"$in": sites}, "state": {"$ne": "cancelled"}, "starts_at": {"$lt": end},
                 "ends_at": {"$gt": start}}  # fmt: skip
        return await self.collection.find(query).sort("starts_at", ASCENDING).to_list()
