"""Remote-access requests and the serial numbers of the certificates issued for them; nothing is deleted, so
the history of every request stays after its grant expired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class Requests(Repository):
    collection_name = "access_requests"
    indexes = [
        IndexModel([("site_id", ASCENDING), ("requested_at", DESCENDING)]),
        IndexModel([("state", ASCENDING), ("valid_until", ASCENDING)]),
        IndexModel([("state", ASCENDING), ("warn_at", ASCENDING)]),
        IndexModel([("certificate_serial", ASCENDING)], sparse=True),
        IndexModel([("revoked", ASCENDING)], sparse=True),
    ]

    async def add(self, request: Document, session: AsyncClientSession) -> None:
        await self.collection.insert_one(request, session=session)

    async def get(self, request_id: str) -> Document | None:
        return await self.collection.find_one({"_id": request_id})

    async def search(self, filters: dict[str, Any], limit: int, offset: int) -> tuple[list[Document], int]:
        cursor = self.collection.find(filters).sort("requested_at", DESCENDING).skip(offset).limit(limit)
        return await cursor.to_list(), await self.collection.count_documents(filters)

    async def move(self, request_id: str, state: str, fields: Document, session: AsyncClientSession,
                   *, approvals: int | None = None, unwarned: bool = False) -> bool:  # fmt: skip
        """Change the request only if it is still in `state` (with `approvals` approvals, and not yet warned, when
        asked): False if someone else moved it meanwhile."""
        guard: Document = {"_id": request_id, "state": state}
        if approvals is not None:
            guard["approvals"] = {"$size": approvals}
        if unwarned:
            guard["warned_at"] = None
        result = await self.collection.update_one(guard, {"$set": fields}, session=session)
        return result.modified_count == 1

    async def due(self, field: str, now: datetime, limit: int) -> list[Document]:
        """Granted requests whose `field` (warn_at, valid_until) has come."""
        query = {"state": "granted", field: {"$lte": now}}
        return await self.collection.find(query).sort(field, ASCENDING).limit(limit).to_list()

    async def revocation_mark(self) -> tuple[int, int]:
        """How many certificates are revoked and the latest serial among them: the list changes when this does."""
        count = await self.collection.count_documents({"revoked": True})
        latest = await self.collection.find_one({"revoked": True}, sort=[("certificate_serial", DESCENDING)])
        return count, int((latest or {}).get("certificate_serial") or 0)

    async def revoked_serials(self) -> list[int]:
        docs = await self.collection.find({"revoked": True, "certificate_serial": {"$ne": None}},
                                          {"certificate_serial": 1}).to_list()  # fmt: skip
        return [int(d["certificate_serial"]) for d in docs]


class Serials(Repository):
    """One counter: each certificate this CA signs gets the next serial, never one twice."""

    collection_name = "certificate_serials"

    async def next(self, session: AsyncClientSession | None = None) -> int:
        doc = await self.collection.find_one_and_update(
            {"_id": "serial"},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return int(doc["value"])
