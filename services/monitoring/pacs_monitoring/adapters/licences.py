"""A site's licences, one document per (site, licence); `check_at` queues those with an expiry for re-evaluation."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


def licence_id(site_id: str, licence: str) -> str:
    return f"{site_id}|{licence}"


class Licences(Repository):
    collection_name = "licences"
    indexes = [IndexModel([("site_id", ASCENDING)]), IndexModel([("check_at", ASCENDING)])]

    async def of_site(self, site_id: str, session: AsyncClientSession | None = None) -> dict[str, Document]:
        """The site's licences by name."""
        docs = await self.collection.find({"site_id": site_id}, session=session).sort("_id", ASCENDING).to_list()
        return {d["licence"]: d for d in docs}

    async def record(self, writes: list[UpdateOne], session: AsyncClientSession) -> None:
        if writes:
            await self.collection.bulk_write(writes, ordered=False, session=session)

    async def due(self, now: datetime, limit: int) -> list[Document]:
        """Licences whose expiry is to be looked at again (a bounded range of the index)."""
        cursor = self.collection.find({"check_at": {"$lte": now}}).sort("check_at", ASCENDING).limit(limit)
        return await cursor.to_list()

    async def checked(self, due: list[Document], next_at: datetime, session: AsyncClientSession) -> None:
        """Move each licence to its next check, unless a report moved it meanwhile."""
        writes = [UpdateOne({"_id": d["_id"], "check_at": d["check_at"]}, {"$set": {"check_at": next_at}}) for d in due]
        await self.record(writes, session)
