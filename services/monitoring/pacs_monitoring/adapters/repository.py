"""Monitoring's collections: breach state per (site, host, rule)."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


def state_id(site_id: str, host: str, rule: str) -> str:
    return f"{site_id}|{host}|{rule}"


class RuleStates(Repository):
    collection_name = "rule_states"
    indexes = [IndexModel([("site_id", ASCENDING), ("state", ASCENDING)])]

    async def for_ids(self, ids: list[str], session: AsyncClientSession) -> dict[str, Document]:
        docs = await self.collection.find({"_id": {"$in": ids}}, session=session).to_list()
        return {d["_id"]: d for d in docs}

    async def save(self, doc: Document, session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)
