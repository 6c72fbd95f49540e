"""Each site's standing maintenance agreement (one document, keyed by the site)."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class Agreements(Repository):
    collection_name = "maintenance_agreements"

    async def get(self, site_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": site_id}, session=session)

    async def of_sites(self, site_ids: list[str]) -> dict[str, Document]:
        return {d["_id"]: d async for d in self.collection.find({"_id": {"$in": site_ids}})}

    async def put(self, agreement: Document, session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": agreement["_id"]}, agreement, upsert=True, session=session)

    async def remove(self, site_id: str, session: AsyncClientSession) -> bool:
        return (await self.collection.delete_one({"_id": site_id}, session=session)).deleted_count == 1
