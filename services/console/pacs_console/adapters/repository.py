"""The console's collections: staff accounts and their sessions."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from pacs_kit.mongo import Document, Repository


class Accounts(Repository):
    collection_name = "accounts"

    async def add(self, account: Document) -> bool:
        """False when the user name is taken."""
        try:
            await self.collection.insert_one(account)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, username: str) -> Document | None:
        return await self.collection.find_one({"_id": username})

    async def page(self, after: str | None, limit: int) -> list[Document]:
        query = {"_id": {"$gt": after}} if after else {}
        return await self.collection.find(query).sort("_id", ASCENDING).limit(limit).to_list()

    async def update(self, username: str, fields: Document) -> Document | None:
        return await self.collection.find_one_and_update({"_id": username}, {"$set": fields},
                                                         return_document=ReturnDocument.AFTER)  # fmt: skip

    async def record_failure(self, username: str, failures: list[datetime], locked_until: datetime | None) -> None:
        await self.collection.update_one({"_id": username},
                                         {"$set": {"failures": failures, "locked_until": locked_until}})  # fmt: skip

    async def record_success(self, username: str, at: datetime) -> None:
        fresh: Document = {"failures": [], "locked_until": None, "signed_in_at": at}
        await self.collection.update_one({"_id": username}, {"$set": fresh})


def session_key(token: str) -> str:
    """Sessions are stored by a digest of their cookie, so a copy of the database signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions(Repository):
    collection_name = "sessions"
    indexes = [IndexModel([("username", ASCENDING)]), IndexModel([("expires_at", ASCENDING)])]

    async def add(self, token: str, username: str, now: datetime, expires_at: datetime) -> None:
        await self.collection.insert_one({"_id": session_key(token), "username": username, "created_at": now,
                                          "expires_at": expires_at, "ended_at": None})  # fmt: skip

    async def live(self, token: str, now: datetime) -> Document | None:
        return await self.collection.find_one({"_id": session_key(token), "ended_at": None, "expires_at": {"$gt": now}})

    async def end(self, token: str, now: datetime) -> None:
        await self.collection.update_one({"_id": session_key(token), "ended_at": None}, {"$set": {"ended_at": now}})

    async def end_all(self, username: str, now: datetime) -> int:
        return await self.update_many_tx({"username": username, "ended_at": None}, {"$set": {"ended_at": now}})

    async def purge(self, before: datetime) -> Any:
        """Sessions that ended or expired before `before` (a bounded key range, for the cleaner)."""
        return await self.collection.delete_many({"expires_at": {"$lt": before}})
