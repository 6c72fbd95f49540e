"""The registered DICOM nodes with their probe schedule, and the probe results kept for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class DicomNodes(Repository):
    """One document per node; `next_probe_at` is its place in the probe queue and the guard of each claim."""

    collection_name = "dicom_nodes"
    indexes = [
        IndexModel([(k, ASCENDING) for k in ("site_id", "ae_title", "host", "port")], unique=True),
        IndexModel([("site_id", ASCENDING), ("name", ASCENDING)], unique=True),  # the name is the rules' host
        IndexModel([("next_probe_at", ASCENDING)]),
    ]

    async def add(self, node: Document) -> None:
        """Store a new node; DuplicateKeyError when the site has it (or its name) already."""
        await self.collection.insert_one(node)

    async def get(self, node_id: str) -> Document | None:
        return await self.collection.find_one({"_id": node_id})

    async def same(self, site_id: str, ae_title: str, host: str, port: int) -> Document | None:
        return await self.collection.find_one({"site_id": site_id, "ae_title": ae_title, "host": host, "port": port})

    async def search(self, site_id: str | None, limit: int, offset: int) -> tuple[list[Document], int]:
        filters: dict[str, Any] = {} if site_id is None else {"site_id": site_id}
        cursor = self.collection.find(filters).sort([("site_id", ASCENDING), ("name", ASCENDING)])
        return await cursor.skip(offset).limit(limit).to_list(), await self.collection.count_documents(filters)

    async def remove(self, node_id: str, session: AsyncClientSession | None = None) -> bool:
        return (await self.collection.delete_one({"_id": node_id}, session=session)).deleted_count == 1

    async def due(self, since: datetime | None, until: datetime, limit: int) -> list[Document]:
        """Nodes whose probe time is in [since, until], earliest first: a bounded range of the index."""
        window: dict[str, datetime] = {"$lte": until} if since is None else {"$gte": since, "$lte": until}
        cursor = self.collection.find({"next_probe_at": window}).sort("next_probe_at", ASCENDING)
        return await cursor.limit(limit).to_list()

    async def claim(self, node: Document, next_at: datetime) -> bool:
        """Move the node to its next probe time unless another instance did so first: one probe per round."""
        guard = {"_id": node["_id"], "next_probe_at": node["next_probe_at"]}
        result = await self.collection.update_one(guard, {"$set": {"next_probe_at": next_at}})
        return result.modified_count == 1

    async def record(self, summaries: dict[str, Document]) -> None:
        """Keep each node's latest probe on the node, for the list and the detail view."""
        if summaries:
            writes = [UpdateOne({"_id": node_id}, {"$set": {"last_probe": s}}) for node_id, s in summaries.items()]
            await self.collection.bulk_write(writes, ordered=False)


class DicomProbes(Repository):
    """Probe results, newest first per node; each expires at its `expire_at` (a TTL index)."""

    collection_name = "dicom_probes"
    indexes = [
        IndexModel([("node_id", ASCENDING), ("at", DESCENDING)]),
        IndexModel([("expire_at", ASCENDING)], expireAfterSeconds=0),
    ]

    async def add_all(self, probes: list[Document]) -> None:
        if probes:
            await self.collection.insert_many(probes, ordered=False)

    async def latest(self, node_id: str, limit: int, interval: timedelta, kept: timedelta) -> list[Document]:
        """The newest `limit` probes, read through a window of time that widens until it holds them.

        The database reads a query's whole matched range before it limits, and a node has a
        week of probes: the first window is about twice what `limit` probes at `interval` span.
        """
        now = datetime.now(UTC)
        span = min(interval * limit * 2, kept)
        while True:
            query = {"node_id": node_id, "at": {"$gte": now - span}}
            found = await self.collection.find(query).sort("at", DESCENDING).limit(limit).to_list()
            if len(found) >= limit or span >= kept:
                return found
            span = min(span * 8, kept)

    async def forget(self, node_id: str) -> None:
        await self.collection.delete_many({"node_id": node_id})  # probe history: no transaction writes it
