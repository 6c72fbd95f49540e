"""The release catalogue: one release per product and version (`key`)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class Releases(Repository):
    collection_name = "releases"
    indexes = [
        IndexModel([("key", ASCENDING)], unique=True),
        IndexModel([("product", ASCENDING), ("created_at", DESCENDING)]),
    ]

    async def add(self, release: Document, session: AsyncClientSession) -> None:
        """Store a new release; DuplicateKeyError when its product already has that version."""
        await self.collection.insert_one(release, session=session)

    async def get(self, release_id: str) -> Document | None:
        return await self.collection.find_one({"_id": release_id})

    async def by_key(self, key: str) -> Document | None:
        return await self.collection.find_one({"key": key})

    async def search(self, filters: dict[str, Any], limit: int, offset: int) -> tuple[list[Document], int]:
        cursor = self.collection.find(filters).sort("created_at", DESCENDING).skip(offset).limit(limit)
        return await cursor.to_list(), await self.collection.count_documents(filters)
