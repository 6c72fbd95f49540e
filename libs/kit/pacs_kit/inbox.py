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

    async def seen_among(self, session: AsyncClientSession, envelopes: list[Envelope]) -> set[str]:
        """The ids among `envelopes` that were handled before."""
        ids = [str(e.event_id) for e in envelopes]
        docs = await self.collection.find({"_id": {"$in": ids}}, {"_id": 1}, session=session).to_list()
        return {d["_id"] for d in docs}

    async def record_all(self, session: AsyncClientSession, envelopes: list[Envelope]) -> None:
        """Inside the handlers' transaction; a racing duplicate fails on the unique id and is retried."""
        if envelopes:
            now = datetime.now(UTC)
            docs = [{"_id": str(e.event_id), "type": e.type, "handled_at": now} for e in envelopes]
            await self.collection.insert_many(docs, session=session)
