"""Monitoring's collections: breach state per (site, host, rule), and the maintenance windows running now."""

from __future__ import annotations

from datetime import datetime, timedelta

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


class Maintenance(Repository):
    """Windows between their `maintenance.started` and `maintenance.ended` (host None: the whole site)."""

    collection_name = "maintenance"
    indexes = [IndexModel([("site_id", ASCENDING)])]

    async def start(self, window: Document, session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": window["_id"]}, window, upsert=True, session=session)

    async def end(self, window_id: str, session: AsyncClientSession) -> None:
        await self.collection.delete_one({"_id": window_id}, session=session)

    async def hosts_held(self, site_id: str, session: AsyncClientSession | None = None) -> set[str | None]:
        """The hosts of a site under maintenance now; None in the set means every host."""
        docs = await self.collection.find({"site_id": site_id}, {"host": 1}, session=session).to_list()
        return {d.get("host") for d in docs}


class Links(Repository):
    """The last sign of life per (site, link), and whether the link has been declared silent."""

    collection_name = "links"
    indexes = [IndexModel([("silent", ASCENDING), ("silent_after", ASCENDING)])]

    async def beat(self, site_id: str, link: str, now: datetime, allowance: timedelta,
                   session: AsyncClientSession) -> bool:  # fmt: skip
        """Record a heartbeat; True when the link had been declared silent (it is back)."""
        before = await self.collection.find_one_and_update(
            {"_id": f"{site_id}|{link}"},
            {"$set": {"site_id": site_id, "link": link, "last_seen": now, "silent_after": now + allowance,
                      "silent": False}},
            upsert=True, session=session,
        )  # fmt: skip
        return bool(before and before.get("silent"))

    async def fallen_silent(self, now: datetime, limit: int, session: AsyncClientSession) -> list[Document]:
        """Links not yet declared silent whose allowance has run out (a bounded index range)."""
        query = {"silent": False, "silent_after": {"$lte": now}}
        return await self.collection.find(query, session=session).sort("silent_after", ASCENDING).limit(limit).to_list()

    async def declare_silent(self, link_ids: list[str], session: AsyncClientSession) -> None:
        await self.collection.update_many({"_id": {"$in": link_ids}, "silent": False}, {"$set": {"silent": True}},
                                          session=session)  # fmt: skip


async def site_health(states: RuleStates, links: Links, maintenance: Maintenance, site_id: str) -> Document:
    """What monitoring knows of a site now: every rule state, every link, the maintenance running."""
    rules = await states.collection.find({"site_id": site_id}).sort("_id", ASCENDING).to_list()
    seen = await links.collection.find({"site_id": site_id}).sort("_id", ASCENDING).to_list()
    windows = await maintenance.collection.find({"site_id": site_id}).to_list()
    return {"rules": rules, "links": seen, "maintenance": windows}


class RulePacks(Repository):
    """The rule pack in force, when an admin replaced the one shipped with the service."""

    collection_name = "rule_packs"

    async def current(self) -> Document | None:
        return await self.collection.find_one({"_id": "global"})

    async def replace(self, text: str, by: str, now: datetime) -> None:
        doc = {"_id": "global", "text": text, "updated_by": by, "updated_at": now}
        await self.collection.replace_one({"_id": "global"}, doc, upsert=True)
