"""Escalation's collections: sites with contracts, engineers, incidents, downtime and maintenance windows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Mongo, Repository
from pacs_kit.paging import Cursor, WindowMemory, newest_first
from pacs_kit.uow import Tx


class Sites(Repository):
    collection_name = "sites"
    indexes = [IndexModel([("region", ASCENDING)]), IndexModel([("search_keys", ASCENDING)])]

    async def search(self, key: str, limit: int) -> list[Document]:
        """Sites with a search key starting with `key` (an indexed prefix range)."""
        query = {"search_keys": {"$gte": key, "$lt": key + "\uffff"}}
        return await self.collection.find(query).sort("_id", ASCENDING).limit(limit).to_list()

    async def add(self, site: Document, session: AsyncClientSession) -> None:
        await self.collection.insert_one(site, session=session)

    async def get(self, site_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": site_id}, session=session)

    async def set_contract(self, site_id: str, contract: Document, session: AsyncClientSession) -> bool:
        result = await self.collection.update_one({"_id": site_id}, {"$set": {"contract": contract}}, session=session)
        return result.matched_count == 1

    async def list(self, limit: int, offset: int) -> tuple[list[Document], int]:
        items = await self.collection.find().sort("_id", ASCENDING).skip(offset).limit(limit).to_list()
        return items, await self.collection.count_documents({})


class Engineers(Repository):
    collection_name = "engineers"
    indexes = [IndexModel([("region", ASCENDING), ("tier", ASCENDING)])]

    async def add(self, engineer: Document, session: AsyncClientSession) -> None:
        await self.collection.insert_one(engineer, session=session)

    async def get(self, engineer_id: str) -> Document | None:
        return await self.collection.find_one({"_id": engineer_id})

    async def list(self, limit: int, offset: int) -> tuple[list[Document], int]:
        items = await self.collection.find().sort("_id", ASCENDING).skip(offset).limit(limit).to_list()
        return items, await self.collection.count_documents({})

    async def any_of(self, region: str, tier: str, session: AsyncClientSession | None) -> Document | None:
        return await self.collection.find_one(
            {"region": region, "tier": tier, "retired_at": None}, sort=[("_id", ASCENDING)], session=session
        )

    async def supervisor_of(self, region: str, session: AsyncClientSession | None) -> Document | None:
        return await self.collection.find_one(
            {"region": region, "roles": "supervisor", "retired_at": None}, sort=[("_id", ASCENDING)], session=session
        )

    async def active(self, ids: Sequence[str], session: AsyncClientSession | None = None) -> set[str]:
        """Those of `ids` who are registered and not retired."""
        found = self.collection.find({"_id": {"$in": ids}, "retired_at": None}, {"_id": 1}, session=session)
        return {d["_id"] for d in await found.to_list()}

    async def retire(self, engineer_id: str, at: datetime, session: AsyncClientSession) -> bool:
        """False if there is no such engineer or they had retired already."""
        done = await self.collection.update_one({"_id": engineer_id, "retired_at": None},
                                                {"$set": {"retired_at": at}}, session=session)  # fmt: skip
        return bool(done.modified_count)


class Rosters(Repository):
    """One rotation per (region, tier), stored as the API gave it."""

    collection_name = "rosters"

    async def put(self, region: str, tier: str, roster: Document) -> None:
        await self.collection.replace_one(
            {"_id": f"{region}|{tier}"}, {"_id": f"{region}|{tier}", **roster}, upsert=True
        )

    async def get(self, region: str, tier: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": f"{region}|{tier}"}, session=session)


LISTED = {"timeline": 0}  # what a listing leaves out: the timeline (the frozen contract gives the deadlines)


class Incidents(Repository):
    collection_name = "incidents"

    def __init__(self, mongo: Mongo) -> None:
        super().__init__(mongo)
        self.windows = WindowMemory()

    indexes = [
        IndexModel([("fault_id", ASCENDING)], unique=True, partialFilterExpression={"fault_id": {"$type": "string"}}),
        # listings read a window of opening times, alone or within one site, state or owner
        IndexModel([("opened_at", DESCENDING)]),
        IndexModel([("site_id", ASCENDING), ("opened_at", DESCENDING)]),
        IndexModel([("state", ASCENDING), ("opened_at", DESCENDING)]),
        IndexModel([("assignee_id", ASCENDING), ("opened_at", DESCENDING)]),
        IndexModel([("next_check_at", ASCENDING)]),
        IndexModel(
            [("open_problem_key", ASCENDING)],
            unique=True,
            partialFilterExpression={"open_problem_key": {"$type": "string"}},
        ),
        # The partial index above keeps one open incident per problem; a server need not use a partial
        # index for a plain equality (SecantusDB scans the collection instead), so lookups have this one.
        IndexModel([("open_problem_key", ASCENDING), ("site_id", ASCENDING)]),
    ]

    async def add(self, incident: Document, session: AsyncClientSession) -> None:
        await self.collection.insert_one(incident, session=session)

    async def get(self, incident_id: str) -> Document | None:
        return await self.collection.find_one({"_id": incident_id})

    async def by_ids(self, incident_ids: list[str]) -> list[Document]:
        return await self.collection.find({"_id": {"$in": incident_ids}}).to_list()

    async def transition(
        self,
        incident_id: str,
        guard: dict[str, Any],
        fields: dict[str, Any],
        entry: Document,
        session: AsyncClientSession,
    ) -> bool:
        """Apply a change if the incident still matches `guard`; False if it moved meanwhile."""
        result = await self.collection.update_one(
            {"_id": incident_id, **guard}, {"$set": fields, "$push": {"timeline": entry}}, session=session
        )
        return result.matched_count == 1

    async def open_problem(self, key: str, session: AsyncClientSession) -> Document | None:
        return await self.collection.find_one({"open_problem_key": key}, session=session)

    def record_occurrence_on_commit(self, tx: Tx, incident_id: str, entry: Document) -> None:
        """Count a breach on its open incident as the transaction commits, with the batch's other counts."""
        tx.update(self.collection, {"_id": incident_id}, {"$inc": {"occurrences": 1}, "$push": {"timeline": entry}})

    async def open_for_rule(self, site_id: str, host: str, rule: str, session: AsyncClientSession) -> Document | None:
        """The open incident that a breach of this rule on this host fed, if any."""
        return await self.collection.find_one(
            {"site_id": site_id, "open_problem_key": {"$type": "string"},
             "timeline": {"$elemMatch": {"what": "metric_breached", "host": host, "rule": rule}}},
            session=session,
        )  # fmt: skip

    async def record(self, incident_id: str, entry: Document, session: AsyncClientSession) -> None:
        await self.collection.update_one({"_id": incident_id}, {"$push": {"timeline": entry}}, session=session)

    async def record_at_site(self, incident_id: str, site_id: str, entry: Document,
                             session: AsyncClientSession) -> None:  # fmt: skip
        """Write on the incident's timeline only if it is the named site's: another service's event cannot write
        on a stranger's incident."""
        await self.collection.update_one({"_id": incident_id, "site_id": site_id}, {"$push": {"timeline": entry}},
                                         session=session)  # fmt: skip

    async def due(
        self, since: datetime | None, until: datetime, limit: int, session: AsyncClientSession
    ) -> list[Document]:
        """Incidents whose next clock check falls in [since, until], earliest first.

        The lower bound matters: the database reads every document in the range before it
        limits, so an open range would cost more the further the clocks are behind.
        """
        window: dict[str, Any] = {"$lte": until} if since is None else {"$gte": since, "$lte": until}
        cursor = self.collection.find({"next_check_at": window}, {"timeline": 0}, session=session)
        return await cursor.sort("next_check_at", ASCENDING).limit(limit).to_list()

    async def apply_clocks(
        self, changes: list[tuple[Document, dict[str, Any], list[Document]]], session: AsyncClientSession
    ) -> None:
        """Record what the clocks decided for many incidents in one round trip.

        Each update is guarded by the tier and check time it was planned from; inside the
        transaction a concurrent change surfaces as a write conflict and the whole tick is retried.
        """
        if not changes:
            return
        requests = []
        for incident, fields, entries in changes:
            guard = {"_id": incident["_id"], "tier": incident["tier"], "next_check_at": incident["next_check_at"]}
            update: dict[str, Any] = {"$set": fields}
            if entries:
                update["$push"] = {"timeline": {"$each": entries}}
            requests.append(UpdateOne(guard, update))
        result = await self.collection.bulk_write(requests, ordered=False, session=session)
        if result.matched_count != len(requests):
            raise RuntimeError(f"{len(requests) - result.matched_count} incident(s) changed under the tick; retrying")

    async def opened_between(self, start: datetime, end: datetime) -> list[Document]:
        projection = {"timeline": 0, "terms": 0}
        return await self.collection.find({"opened_at": {"$gte": start, "$lt": end}}, projection).to_list()

    async def search(
        self, filters: dict[str, Any], limit: int, after: Cursor | None
    ) -> tuple[list[Document], Cursor | None]:
        """A page of incidents, newest first: one fault's at once, the others by time windows (kit paging)."""
        if "fault_id" in filters:  # at most one: the unique index answers
            return await self.collection.find(filters, LISTED).limit(limit).to_list(), None
        return await newest_first(self.collection, filters, "opened_at", limit, after, projection=LISTED,
                                 memory=self.windows)  # fmt: skip


class Downtime(Repository):
    """One entry per incident that took a whole system down (its id is the incident's)."""

    collection_name = "downtime"
    indexes = [IndexModel([("site_id", ASCENDING), ("start", ASCENDING)])]

    async def record(self, entry: Document, session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": entry["_id"]}, entry, upsert=True, session=session)

    async def overlapping(self, site_id: str | None, start: datetime, end: datetime) -> list[Document]:
        filters: dict[str, Any] = {"start": {"$lt": end}, "end": {"$gt": start}}
        if site_id is not None:
            filters["site_id"] = site_id
        return await self.collection.find(filters).to_list()


class MaintenanceWindows(Repository):
    """Whole-site maintenance windows agreed with the hospital, as they really ran (id: the scheduler's window id).
    Started and ended each set their own fields, so either may arrive first."""

    collection_name = "maintenance_windows"
    indexes = [IndexModel([("site_id", ASCENDING), ("started_at", ASCENDING)])]

    async def started(self, window_id: str, site_id: str, at: datetime, ends_at: datetime,
                      session: AsyncClientSession) -> None:  # fmt: skip
        fields = {"site_id": site_id, "started_at": at, "ends_at": ends_at}
        await self.collection.update_one({"_id": window_id}, {"$set": fields}, upsert=True, session=session)

    async def ended(self, window_id: str, site_id: str, at: datetime, session: AsyncClientSession) -> None:
        fields = {"site_id": site_id, "ended_at": at}
        await self.collection.update_one({"_id": window_id}, {"$set": fields}, upsert=True, session=session)

    async def overlapping(self, site_id: str | None, start: datetime, end: datetime) -> list[Document]:
        """Windows that started before `end` and had not ended (or were not due to end) by `start`; one whose
        start was never heard is left out."""
        filters: dict[str, Any] = {"started_at": {"$lt": end},
                                   "$or": [{"ended_at": {"$gt": start}}, {"ends_at": {"$gt": start}}]}  # fmt: skip
        if site_id is not None:
            filters["site_id"] = site_id
        return await self.collection.find(filters).to_list()
