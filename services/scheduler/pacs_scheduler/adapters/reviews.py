"""What service reviews are counted from, and the reviews themselves.

The facts are a read model fed by escalation's and monitoring's events (one document per incident, one per
monitoring breach); no other service's database is read. Events may arrive in any order and more than once:
every write sets what the event says or adds it to a set, so the outcome is the same either way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository
from pacs_kit.uow import Tx


class IncidentFacts(Repository):
    """One document per incident: when it opened, was answered, climbed, breached, was solved and was down."""

    collection_name = "review_incidents"
    indexes = [
        IndexModel([("site_id", ASCENDING), ("opened_at", ASCENDING)]),
        IndexModel([("site_id", ASCENDING), ("down_from", ASCENDING)]),
        IndexModel([("fault_id", ASCENDING)], sparse=True),
    ]

    async def note(self, incident_id: str, site_id: str, session: AsyncClientSession, *,
                   fields: Document | None = None, add: Document | None = None) -> None:  # fmt: skip
        await self.collection.update_one({"_id": incident_id}, _noted(site_id, fields, add), upsert=True,
                                         session=session)  # fmt: skip

    def note_on_commit(self, tx: Tx, incident_id: str, site_id: str, *, fields: Document | None = None,
                       add: Document | None = None) -> None:  # fmt: skip
        """`note`, written as the transaction commits in one round trip with the batch's other notes: for facts the
        resolution and reopening checks do not read (they write at once, so they see what they need)."""
        tx.update(self.collection, {"_id": incident_id}, _noted(site_id, fields, add), upsert=True)

    async def resolved(self, incident_id: str, site_id: str, fields: Document, session: AsyncClientSession) -> None:
        """Keep a resolution unless a later one, or a later reopening, is already known (events out of order)."""
        at = fields["resolved_at"]
        known = await self.collection.find_one({"_id": incident_id}, {"resolved_at": 1, "reopened": 1},
                                               session=session) or {}  # fmt: skip
        later = (known.get("resolved_at") or at) > at or any(r > at for r in known.get("reopened", []))
        if later:
            return
        await self.note(incident_id, site_id, session, fields=fields)

    async def unsolve(self, incident_id: str, reopened_at: datetime, session: AsyncClientSession) -> None:
        """Forget a resolution older than the reopening; a newer one (events out of order) stands."""
        await self.collection.update_one({"_id": incident_id, "resolved_at": {"$lt": reopened_at}},
                                         {"$set": {"resolved_at": None, "resolve_minutes": None}},
                                         session=session)  # fmt: skip

    async def opened_in(self, sites: list[str], start: datetime, end: datetime) -> list[Document]:
        query = {"site_id": {"$in": sites}, "opened_at": {"$gte": start, "$lt": end}}
        return await self.collection.find(query).sort("opened_at", ASCENDING).to_list()

    async def down_between(self, sites: list[str], start: datetime, end: datetime) -> list[Document]:
        """Incidents whose whole-system outage began before `end` and was over after `start`."""
        query = {"site_id": {"$in": sites}, "down_from": {"$lt": end}, "resolved_at": {"$gt": start}}
        return await self.collection.find(query).to_list()

    async def open_critical(self, site_id: str) -> list[str]:
        """The site's critical incidents not resolved (as far as the events heard so far tell)."""
        query = {"site_id": site_id, "severity": "critical", "resolved_at": None}
        return [d["_id"] for d in await self.collection.find(query, {"_id": 1}).to_list()]

    async def resolved_faults(self, fault_ids: list[str]) -> dict[str, bool]:
        """For the faults PM follow-ups reported: whether the incident each opened is resolved."""
        if not fault_ids:
            return {}
        docs = await self.collection.find({"fault_id": {"$in": fault_ids}}, {"fault_id": 1, "resolved_at": 1}).to_list()
        return {d["fault_id"]: d.get("resolved_at") is not None for d in docs}


def _noted(site_id: str, fields: Document | None, add: Document | None) -> Document:
    update: Document = {"$set": {"site_id": site_id, **(fields or {})}}
    if add:
        update["$addToSet"] = add
    return update


class MetricFacts(Repository):
    """Monitoring's breaches, one document each: the most frequent rules, DICOM, and capacity forecasts."""

    collection_name = "review_metrics"
    indexes = [
        IndexModel([("site_id", ASCENDING), ("breached_at", ASCENDING)]),
        IndexModel([("site_id", ASCENDING), ("host", ASCENDING), ("rule", ASCENDING), ("breached_at", DESCENDING)]),
        IndexModel([("recovery_of", ASCENDING)], sparse=True),  # recoveries heard before their breach
    ]

    async def keep(self, doc: Document, session: AsyncClientSession) -> None:
        """The breach as it was told; not over until its recovery is heard (or was heard first, and waited)."""
        fields = {k: v for k, v in doc.items() if k != "_id"}
        await self.collection.update_one({"_id": doc["_id"]}, {"$set": fields, "$setOnInsert": {"recovered_at": None}},
                                         upsert=True, session=session)  # fmt: skip
        waiting = {
            "recovery_of": [doc["site_id"], doc["host"], doc["rule"]],
            "recovered_at": {"$gte": doc["breached_at"]},
        }
        early = await self.collection.find_one(waiting, sort=[("recovered_at", ASCENDING)], session=session)
        if early is not None:
            ended = {"$set": {"recovered_at": early["recovered_at"]}}
            await self.collection.update_one({"_id": doc["_id"], "recovered_at": None}, ended, session=session)
            await self.collection.delete_one({"_id": early["_id"]}, session=session)

    async def recovered(self, site_id: str, host: str, rule: str, at: datetime, session: AsyncClientSession) -> None:
        """End the latest breach of this host and rule that began before `at` and is not over yet; a recovery heard
        before its breach waits for it."""
        query = {"site_id": site_id, "host": host, "rule": rule, "breached_at": {"$lte": at}, "recovered_at": None}
        latest = await self.collection.find_one(query, sort=[("breached_at", DESCENDING)], session=session)
        if latest is not None:
            await self.collection.update_one({"_id": latest["_id"]}, {"$set": {"recovered_at": at}}, session=session)
            return
        early = {"_id": f"recovery|{site_id}|{host}|{rule}|{at.isoformat()}", "recovery_of": [site_id, host, rule],
                 "recovered_at": at}  # fmt: skip
        await self.collection.replace_one({"_id": early["_id"]}, early, upsert=True, session=session)

    async def troubling(self, site_id: str, since: datetime) -> list[Document]:
        """The site's breaches open now or begun since `since`: what an upgraded site's soak must not see."""
        query = {"site_id": site_id, "$or": [{"recovered_at": None}, {"breached_at": {"$gte": since}}]}
        return await self.collection.find(query).sort("breached_at", ASCENDING).to_list()

    async def between(self, sites: list[str], start: datetime, end: datetime) -> list[Document]:
        query = {"site_id": {"$in": sites}, "breached_at": {"$gte": start, "$lt": end}}
        return await self.collection.find(query).sort("breached_at", ASCENDING).to_list()

    async def down_during(self, sites: list[str], rule: str, start: datetime, end: datetime) -> list[Document]:
        """Breaches of `rule` that overlap [start, end): begun before its end, not over before its start."""
        query = {"site_id": {"$in": sites}, "rule": rule, "breached_at": {"$lt": end},
                 "$or": [{"recovered_at": None}, {"recovered_at": {"$gt": start}}]}  # fmt: skip
        return await self.collection.find(query).sort("breached_at", ASCENDING).to_list()


class Reviews(Repository):
    """The reviews: one per group of sites and period (`key`), frozen when built, then moved along its states."""

    collection_name = "service_reviews"
    indexes = [
        IndexModel([("key", ASCENDING)], unique=True),
        IndexModel([("site_ids", ASCENDING), ("ends_at", DESCENDING)]),
        IndexModel([("state", ASCENDING), ("built_at", DESCENDING)]),
    ]

    async def add(self, review: Document, session: AsyncClientSession | None = None) -> None:
        """DuplicateKeyError when the sites already have a review of that period: caught by the caller around
        its transaction, which a failed write inside it has ended."""
        await self.collection.insert_one(review, session=session)

    async def get(self, review_id: str) -> Document | None:
        return await self.collection.find_one({"_id": review_id})

    async def by_key(self, key: str) -> Document | None:
        return await self.collection.find_one({"key": key})

    async def search(self, filters: dict[str, Any], limit: int, offset: int) -> tuple[list[Document], int]:
        cursor = self.collection.find(filters).sort("built_at", DESCENDING).skip(offset).limit(limit)
        return await cursor.to_list(), await self.collection.count_documents(filters)

    async def latest_before(self, key_sites: list[str], end: datetime) -> Document | None:
        """The review of the same sites that ended last before `end`: its actions are followed up."""
        query = {"site_ids": key_sites, "ends_at": {"$lte": end}}
        return await self.collection.find_one(query, sort=[("ends_at", DESCENDING)])

    async def move(self, review_id: str, states: tuple[str, ...], fields: Document,
                   session: AsyncClientSession | None = None, *, link_id: str | None = None) -> bool:  # fmt: skip
        """Change the review only if it is still in one of `states` (and still has the link `link_id`, when
        given): False if it moved meanwhile."""
        guard: Document = {"_id": review_id, "state": {"$in": list(states)}}
        if link_id is not None:
            guard["link_id"] = link_id
        result = await self.collection.update_one(guard, {"$set": fields}, session=session)
        return result.modified_count == 1
