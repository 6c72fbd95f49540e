"""Idempotent inbox: an event id once handled is never handled again."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_contracts import Envelope
from pacs_kit.mongo import Repository

RETENTION_SECONDS = 14 * 24 * 3600


class Inbox(Repository):
    collection_name = "inbox"
    indexes = [IndexModel([("handled_at", ASCENDING)], expireAfterSeconds=RETENTION_SECONDS)]

    async def seen(self, session: AsyncClientSession, envelope: Envelope) -> bool:
        return await self.collection.find_one({"_id": str(envelope.event_id)}, session=session) is not None

    async def record(self, session: AsyncClientSession, envelope: Envelope) -> None:
        """Inside the handler's transaction; a racing duplicate fails on the unique id and is retried."""
        await self.collection.insert_one(
            {"_id": str(envelope.event_id), "type": envelope.type, "handled_at": datetime.now(UTC)},
            session=session,
        )
