"""The access service's copy of incidents, kept from escalation's events: their site and severity, and whether they
are open, for the contract's standing rules."""

from __future__ import annotations

from typing import Any

from pacs_kit.mongo import Document, Repository
from pacs_kit.uow import Tx


class Incidents(Repository):
    """Each event sets only what it knows, so they may arrive in any order (a resolution before the opening)."""

    collection_name = "incidents"

    def note_on_commit(self, tx: Tx, incident_id: str, fields: dict[str, Any]) -> None:
        """Set what the event knows as the transaction commits, in one round trip with the batch's other events."""
        tx.update(self.collection, {"_id": incident_id}, {"$set": fields}, upsert=True)

    async def get(self, incident_id: str) -> Document | None:
        return await self.collection.find_one({"_id": incident_id})
