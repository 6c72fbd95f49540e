"""PM plans and their visits, with guarded state changes so that each visit is told once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_contracts.api import PmStatus
from pacs_kit.mongo import Document, Repository


class Plans(Repository):
    collection_name = "pm_plans"

    async def get(self, site_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": site_id}, session=session)

    async def put(self, plan: Document, session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": plan["_id"]}, plan, upsert=True, session=session)


class Visits(Repository):
    collection_name = "pm_visits"
    indexes = [
        IndexModel([("status", ASCENDING), ("notify_at", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("overdue_at", ASCENDING)]),
        IndexModel([("site_id", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("engineer_id", ASCENDING), ("due_at", ASCENDING)]),
    ]

    async def add_all(self, visits: list[Document], session: AsyncClientSession) -> None:
        if visits:
            await self.collection.insert_many(visits, session=session)

    async def get(self, visit_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": visit_id}, session=session)

    async def search(self, filters: dict[str, Any], limit: int, offset: int) -> tuple[list[Document], int]:
        cursor = self.collection.find(filters).sort("due_at", ASCENDING).skip(offset).limit(limit)
        return await cursor.to_list(), await self.collection.count_documents(filters)

    async def of_site(self, site_id: str, statuses: tuple[str, ...], session: AsyncClientSession | None = None,
                      ) -> list[Document]:  # fmt: skip
        query = {"site_id": site_id, "status": {"$in": list(statuses)}}
        return await self.collection.find(query, session=session).sort("due_at", ASCENDING).to_list()

    async def due_between(self, sites: list[str], start: datetime, end: datetime) -> list[Document]:
        """The sites' visits due in [start, end), cancelled ones left out: what a review counts as planned."""
        query = {"site_id": {"$in": sites}, "due_at": {"$gte": start, "$lt": end}, "status": {"$ne": "cancelled"}}
        return await self.collection.find(query).sort("due_at", ASCENDING).to_list()

    async def due(self, status: str, field: str, now: datetime, limit: int) -> list[Document]:
        """Visits in `status` whose `field` (notify_at or overdue_at) has come: a bounded index range."""
        query = {"status": status, field: {"$lte": now}}
        return await self.collection.find(query).sort(field, ASCENDING).limit(limit).to_list()

    async def move(self, visit_id: str, from_status: tuple[str, ...], fields: dict[str, Any],
                   session: AsyncClientSession, push: Document | None = None) -> bool:  # fmt: skip
        """Change the visit only if it is still in one of `from_status`: False if someone moved it first."""
        update: dict[str, Any] = {"$set": fields}
        if push:
            update["$push"] = push
        result = await self.collection.update_one(
            {"_id": visit_id, "status": {"$in": list(from_status)}}, update, session=session
        )
        return result.modified_count == 1

    async def cancel_planned(self, site_id: str, now: datetime, session: AsyncClientSession) -> None:
        await self.collection.update_many({"site_id": site_id, "status": PmStatus.planned.value},
                                          {"$set": {"status": PmStatus.cancelled.value, "cancelled_at": now}},
                                          session=session)  # fmt: skip
