"""Upgrade campaigns and their sites (one document each), moved with guarded writes so that two scheduler
instances, a retry or a double click never move one twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class Campaigns(Repository):
    collection_name = "upgrade_campaigns"
    indexes = [IndexModel([("state", ASCENDING)]), IndexModel([("created_at", DESCENDING)])]

    async def add(self, campaign: Document, session: AsyncClientSession) -> None:
        await self.collection.insert_one(campaign, session=session)

    async def get(self, campaign_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": campaign_id}, session=session)

    async def search(self, limit: int, offset: int) -> tuple[list[Document], int]:
        cursor = self.collection.find({}).sort("created_at", DESCENDING).skip(offset).limit(limit)
        return await cursor.to_list(), await self.collection.count_documents({})

    async def active(self, limit: int) -> list[Document]:
        return await self.collection.find({"state": "active"}).limit(limit).to_list()

    async def change(self, campaign: Document, fields: dict[str, Any], session: AsyncClientSession) -> bool:
        """Apply `fields` unless the campaign changed state, wave or soak since it was read."""
        guard = {k: campaign[k] for k in ("_id", "state", "current_wave", "next_wave_at")}
        return (await self.collection.update_one(guard, {"$set": fields}, session=session)).modified_count == 1


class CampaignSites(Repository):
    collection_name = "upgrade_campaign_sites"
    indexes = [
        IndexModel([("campaign_id", ASCENDING), ("wave", ASCENDING)]),
        IndexModel([("state", ASCENDING), ("window_starts_at", ASCENDING)]),
        IndexModel([("site_id", ASCENDING)]),
        IndexModel([("consent_sign_off", ASCENDING), ("soak_until", ASCENDING)]),
    ]

    async def add_many(self, rows: list[Document], session: AsyncClientSession) -> None:
        await self.collection.insert_many(rows, session=session)

    async def get(self, campaign_id: str, site_id: str) -> Document | None:
        return await self.collection.find_one({"_id": f"{campaign_id}|{site_id}"})

    async def of_campaign(self, campaign_id: str, wave: int | None = None,
                          session: AsyncClientSession | None = None) -> list[Document]:  # fmt: skip
        query: dict[str, Any] = {"campaign_id": campaign_id} if wave is None else {"campaign_id": campaign_id,
                                                                                  "wave": wave}  # fmt: skip
        return await self.collection.find(query, session=session).sort("_id", ASCENDING).to_list()

    async def of_sites(self, site_ids: list[str]) -> list[Document]:
        """Every campaign row of these sites, for their service review."""
        return await self.collection.find({"site_id": {"$in": site_ids}}).to_list()

    async def window_begun(self, state: str, now: datetime, limit: int) -> list[Document]:
        """Sites in `state` whose agreed window has begun and that were not yet looked at when it did."""
        query = {"state": state, "window_starts_at": {"$lte": now}, "missed_start": False}
        return await self.collection.find(query).sort("window_starts_at", ASCENDING).limit(limit).to_list()

    async def soaked(self, now: datetime, limit: int) -> list[Document]:
        """Sites the hospital's standing consent signs off once their soak is over, whose soak is over."""
        query = {"consent_sign_off": True, "soak_until": {"$lte": now}, "state": "postchecked"}
        return await self.collection.find(query).sort("soak_until", ASCENDING).limit(limit).to_list()

    async def waiting_at(self, site_id: str, session: AsyncClientSession) -> list[Document]:
        """The site's rows notified of a campaign and waiting for a window."""
        return await self.collection.find({"site_id": site_id, "state": "notified"}, session=session).to_list()

    async def move(self, row: Document, fields: dict[str, Any], session: AsyncClientSession,
                   history: Document | None = None) -> bool:  # fmt: skip
        """Change the site only if it is still in the state it was read in: False if someone moved it first."""
        update: dict[str, Any] = {"$set": fields}
        if history is not None:
            update["$push"] = {"history": history}
        result = await self.collection.update_one({"_id": row["_id"], "state": row["state"]}, update, session=session)
        return result.modified_count == 1
