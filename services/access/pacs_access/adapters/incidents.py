"""The access service's copy of incidents, kept from escalation's events: their site and severity, and whether they
are open, for the contract's standing rules."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class Incidents(Repository):
    """Each event sets only what it knows, so they may arrive in any order (a resolution before the opening)."""

    collection_name = "incidents"

    async def note(self, incident_id: str, fields: dict[str, Any], session: AsyncClientSession) -> None:
        await self.collection.update_one({"_id": incident_id}, {"$set": fields}, upsert=True, session=session)

    async def get(self, incident_id: str) -> Document | None:
        return await self.collection.find_one({"_id": incident_id})
