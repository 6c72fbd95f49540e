"""Notify's collections: the engineer read model and the notification log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Mongo, ReadModel, Repository
from pacs_kit.paging import Cursor, WindowMemory, newest_first


class Engineers(ReadModel):
    """Engineers as announced by `engineer.registered`."""

    collection_name = "engineers"

    async def supervisors(self, region: str | None, session: AsyncClientSession) -> list[str]:
        """The supervisors of a region (every supervisor when the region is unknown)."""
        query: dict[str, Any] = {"roles": "supervisor"} | ({"region": region} if region else {})
        return sorted(d["_id"] for d in await self.collection.find(query, {"_id": 1}, session=session).to_list())

    async def get_many(self, engineer_ids: set[str]) -> dict[str, Document]:
        docs = await self.collection.find({"_id": {"$in": sorted(engineer_ids)}}).to_list()
        return {d["_id"]: d for d in docs}


class Notifications(Repository):
    collection_name = "notifications"
    indexes = [
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("incident_id", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("visit_id", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("engineer_id", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("created_at", DESCENDING)]),
    ]

    def __init__(self, mongo: Mongo) -> None:
        super().__init__(mongo)
        self.windows = WindowMemory()

    async def add(self, notification: Document, session: AsyncClientSession) -> bool:
        """Queue a notification unless one with the same id exists; True when queued."""
        result = await self.collection.update_one(
            {"_id": notification["_id"]}, {"$setOnInsert": notification}, upsert=True, session=session
        )
        return result.upserted_id is not None

    async def acknowledge(self, notification_ids: list[str], at: datetime, session: AsyncClientSession) -> None:
        await self.collection.update_many({"_id": {"$in": notification_ids}, "acknowledged_at": None},
                                          {"$set": {"status": "acknowledged", "acknowledged_at": at}},
                                          session=session)  # fmt: skip

    async def open_for_incident(self, incident_id: str, session: AsyncClientSession) -> list[str]:
        """Notifications of an incident not yet acknowledged: what an acknowledgement in the app settles."""
        docs = await self.collection.find({"incident_id": incident_id, "acknowledged_at": None}, {"_id": 1},
                                          session=session).to_list()  # fmt: skip
        return [d["_id"] for d in docs]

    async def acknowledged_among(self, ids: list[str], session: AsyncClientSession) -> list[str]:
        query = {"_id": {"$in": ids}, "acknowledged_at": {"$ne": None}}
        return [d["_id"] for d in await self.collection.find(query, {"_id": 1}, session=session).to_list()]

    async def get_many(self, ids: list[str]) -> dict[str, Document]:
        return {d["_id"]: d for d in await self.collection.find({"_id": {"$in": ids}}).to_list()}

    async def mark(self, ids: list[str], fields: dict[str, Any], session: AsyncClientSession) -> None:
        """Set `fields` on notifications still queued (a later state is never overwritten by a send)."""
        await self.collection.update_many({"_id": {"$in": ids}, "status": "queued"}, {"$set": fields},
                                          session=session)  # fmt: skip

    async def search(
        self, filters: dict[str, Any], limit: int, after: Cursor | None
    ) -> tuple[list[Document], Cursor | None]:
        """A page of messages, newest first, by time windows (kit paging); one incident's few at once."""
        if "incident_id" in filters and after is None:
            few = self.collection.find(filters).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            found = await few.limit(limit + 1).to_list()
            if len(found) <= limit:
                return found, None
        return await newest_first(self.collection, filters, "created_at", limit, after, memory=self.windows)


class AckTokens(Repository):
    """One per message: which notification a link acknowledges, until when, and whether it was used."""

    collection_name = "ack_tokens"
    indexes = [
        IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=7 * 86_400),  # a week after expiry
        IndexModel([("engineer_id", ASCENDING), ("code", ASCENDING)]),
    ]

    async def by_code(self, engineer_ids: list[str], code: str, now: datetime) -> list[Document]:
        query = {"engineer_id": {"$in": engineer_ids}, "code": code, "used_at": None, "expires_at": {"$gt": now}}
        return await self.collection.find(query).to_list()

    async def get(self, token: str) -> Document | None:
        return await self.collection.find_one({"_id": token})

    async def use(self, token: str, now: datetime, session: AsyncClientSession) -> Document | None:
        """Spend a token that is unused and unexpired; None otherwise (the caller tells which)."""
        return await self.collection.find_one_and_update(
            {"_id": token, "used_at": None, "expires_at": {"$gt": now}}, {"$set": {"used_at": now}}, session=session
        )


class Contacts(Repository):
    """How each engineer is reached (PUT /api/v1/engineers/{id}/contacts)."""

    collection_name = "contacts"
    indexes = [IndexModel([("phones", ASCENDING)])]

    async def get(self, engineer_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": engineer_id}, session=session)

    async def with_phone(self, phone: str) -> list[str]:
        return [d["_id"] for d in await self.collection.find({"phones": phone}, {"_id": 1}).to_list()]

    async def put(self, engineer_id: str, contacts: Document, session: AsyncClientSession | None = None) -> None:
        await self.collection.replace_one({"_id": engineer_id}, {"_id": engineer_id, **contacts}, upsert=True,
                                          session=session)  # fmt: skip


class Sites(ReadModel):
    """Sites as announced by `site.registered`: the region tells whose supervisor hears of a breach; the named
    contacts, who at the hospital gets its notices by e-mail."""

    collection_name = "sites"


class SendLog(Repository):
    """When each address got its last messages (a bundle is one), the newest few only: the rate limit's memory.

    One small document per address, read by its id, instead of every send to it in the window: a busy
    number costs the same read as a quiet one."""

    collection_name = "send_log"
    KEEP = 1000  # a limit above this many messages per window is as good as none

    async def recent(self, address: str) -> list[datetime]:
        doc = await self.collection.find_one({"_id": address})
        return list(doc["sent"]) if doc else []

    async def record(self, address: str, at: datetime, limit: int, session: AsyncClientSession) -> None:
        keep = min(limit, self.KEEP)
        await self.collection.update_one({"_id": address}, {"$push": {"sent": {"$each": [at], "$slice": -keep}}},
                                         upsert=True, session=session)  # fmt: skip


class Sends(Repository):
    """The sends of each notification: one per channel at its time, and each repeat, queued → sending → sent
    (→ delivered | undelivered) | failed | skipped. The collection keeps the name the notifications API gives them."""

    collection_name = "deliveries"
    indexes = [
        IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("notification_id", ASCENDING)]),
        IndexModel([("address", ASCENDING), ("sent_at", ASCENDING)]),
        IndexModel([("provider_message_id", ASCENDING)]),
    ]

    async def add_all(self, sends: list[Document], session: AsyncClientSession) -> None:
        if sends:
            await self.collection.insert_many(sends, session=session)

    async def due(self, now: datetime, limit: int) -> list[Document]:
        query = {"status": "queued", "due_at": {"$lte": now}}
        return await self.collection.find(query).sort("due_at", ASCENDING).limit(limit).to_list()

    async def stale(self, before: datetime, limit: int) -> list[Document]:
        """Claimed for sending by an instance that never said how it went (it died mid-send)."""
        query = {"status": "sending", "claimed_at": {"$lte": before}}
        return await self.collection.find(query).limit(limit).to_list()

    async def claim(self, ids: list[str], now: datetime) -> list[str]:
        """queued → sending, all at once in a transaction and marked with this claim's own token, so two
        dispatchers never send the same one: each sends what carries its token."""
        token = uuid.uuid4().hex

        async def work(session: AsyncClientSession) -> list[str]:
            await self.collection.update_many({"_id": {"$in": ids}, "status": "queued"},
                                              {"$set": {"status": "sending", "claimed_at": now, "claim": token}},
                                              session=session)  # fmt: skip
            won = self.collection.find({"_id": {"$in": ids}, "claim": token}, {"_id": 1}, session=session)
            return [d["_id"] for d in await won.to_list()]

        return await self.mongo.in_transaction(work, timeout=None)

    async def release_stale(self, ids: list[str]) -> None:
        """Back to queued, due when they were and marked with the claim they were in, so they go out again as the
        very message they were (same sends, same order, same message id) and a provider that got it before
        the dispatcher died can tell it is the same one."""
        await self.update_many_tx({"_id": {"$in": ids}, "status": "sending"},
                                  {"$set": {"status": "queued", "resend": True}})  # fmt: skip

    async def requeue(self, ids: list[str], due_at: datetime, from_status: str = "sending") -> None:
        await self.update_many_tx({"_id": {"$in": ids}, "status": from_status},
                                  {"$set": {"status": "queued", "due_at": due_at}})  # fmt: skip

    async def retry_later(self, ids: list[str], due_at: datetime, attempts: list[Document]) -> None:
        await self.update_many_tx({"_id": {"$in": ids}, "status": "sending"},
                                  {"$set": {"status": "queued", "due_at": due_at},
                                   "$push": {"attempts": {"$each": attempts}, "retries": due_at}})  # fmt: skip

    async def finish(self, ids: list[str], fields: dict[str, Any], attempts: list[Document],
                     session: AsyncClientSession) -> None:  # fmt: skip
        await self.collection.update_many({"_id": {"$in": ids}, "status": "sending"},
                                          {"$set": fields, "$push": {"attempts": {"$each": attempts}}},
                                          session=session)  # fmt: skip

    async def skip_for(self, notification_ids: list[str], session: AsyncClientSession) -> None:
        """An acknowledged message needs no more steps or repeats."""
        await self.collection.update_many({"notification_id": {"$in": notification_ids}, "status": "queued"},
                                          {"$set": {"status": "skipped"}}, session=session)  # fmt: skip

    async def of_notifications(self, ids: list[str]) -> list[Document]:
        return await self.collection.find({"notification_id": {"$in": ids}}).sort("due_at", ASCENDING).to_list()

    async def receipt(self, provider: str, message_id: str, status: str, receipt: Document) -> bool:
        """A provider's delivery receipt: sent → delivered or undelivered, with what it said; False if none moved."""
        # only `sent` moves: a late or repeated receipt never takes a send back
        modified = await self.update_many_tx(
            {"provider": provider, "provider_message_id": message_id, "status": "sent"},
            {"$set": {"status": status}, "$push": {"receipts": receipt}},
        )
        return modified > 0

    async def carrying(self, provider: str, message_id: str) -> bool:
        """Whether any send went out as this provider message."""
        query = {"provider": provider, "provider_message_id": message_id}
        return await self.collection.count_documents(query, limit=1) > 0
