"""The audit trail: who changed what, through which request, in each service's own database.

A change made through the API is recorded in the same transaction as the change itself (the unit
of work adds it), so there is no change without its record. A request that changed nothing
(refused, invalid, or a write outside a transaction) is recorded by the middleware after the
response, with its status. Records are append-only: one chainer at a time gives each the next
sequence number and a SHA-256 over the previous record's hash and its own content, so an edited,
removed or inserted record breaks the chain where it happened (`pacs-admin verify-audit`).
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pacs_kit.mongo import Document, Mongo, Repository
from pacs_kit.tracing import current_trace_id

log = logging.getLogger(__name__)
RECORD_TIMEOUT_SECONDS = 2.0
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_LIMIT = 16_384  # bytes of a request body kept with its record
SECRET_KEYS = ("secret", "password", "token", "key", "signature", "authorization")
GENESIS = "0" * 64
CHAIN_BATCH = 500


@dataclass
class RequestContext:
    """What the audit needs to know of the request being served; filled as the request goes."""

    method: str
    path: str
    address: str | None
    correlation_id: str | None
    scope: Scope = field(default_factory=dict)  # the route and its path parameters, once routed
    body: bytearray = field(default_factory=bytearray)
    actor: dict[str, Any] | None = None  # set once the caller is authenticated
    recorded: bool = False  # a record went with a transaction

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING


current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("audit_request", default=None)


def redacted(value: Any) -> Any:
    """The value with every secret-looking field blanked, recursively."""
    if isinstance(value, dict):
        return {k: "***" if any(s in k.lower() for s in SECRET_KEYS) else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def _body(raw: bytes) -> Any:
    if not raw:
        return None
    if len(raw) > BODY_LIMIT:
        return {"truncated": True, "bytes": len(raw)}
    try:
        return redacted(json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        return {"unparsed": True, "bytes": len(raw)}


def entry(service: str, ctx: RequestContext, outcome: str | int, retention: timedelta, **change: Any) -> Document:
    """One record of a request: who, from where, what, on which object, with the outcome and any before/after."""
    objects = {k: str(v) for k, v in (ctx.scope.get("path_params") or {}).items()}
    now = datetime.now(UTC)
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)  # what the database keeps
    return {
        "_id": uuid.uuid4().hex, "service": service, "at": at,
        "actor": ctx.actor or {"subject": None, "roles": [], "site_id": None},
        "address": ctx.address, "correlation_id": ctx.correlation_id or current_trace_id(),
        "action": f"{ctx.method} {getattr(ctx.scope.get('route'), 'path', ctx.path)}",
        "object": objects, "object_ids": sorted(set(objects.values())),
        "request": _body(bytes(ctx.body)), "outcome": outcome,
        "before": change.get("before"), "after": change.get("after"),
        "seq": None, "expire_at": at + retention,
    }  # fmt: skip


def digest(record: Document, prev_hash: str) -> str:
    """The chain hash of a record as stored: its content (all but the hash itself) after the previous hash."""
    content = {k: v for k, v in record.items() if k not in ("hash", "prev_hash")}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return hashlib.sha256(prev_hash.encode() + canonical.encode()).hexdigest()


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    return str(value)


class AuditMiddleware:
    """Keeps the request's context for the records its transactions write; after the response, records a
    changing request that wrote none (refused, invalid, or a write without a transaction) with its status."""

    def __init__(self, app: ASGIApp, log: AuditLog, service: str, retention: timedelta) -> None:
        self.app = app
        self.log = log
        self.service = service
        self.retention = retention

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:128] or None
        client = scope.get("client")
        ctx = RequestContext(scope["method"], scope["path"], client[0] if client else None, request_id, scope)
        status = 500

        async def keeping_receive() -> Message:
            message = await receive()
            if len(ctx.body) <= BODY_LIMIT:
                ctx.body += message.get("body", b"")[: BODY_LIMIT + 1 - len(ctx.body)]
            return message

        async def status_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        token = current.set(ctx)
        try:
            await self.app(scope, keeping_receive, status_send)
        finally:
            current.reset(token)
            if not ctx.recorded and scope.get("route") is not None:
                await self._record(entry(self.service, ctx, status, self.retention))

    async def _record(self, record: Document) -> None:
        try:
            with pymongo.timeout(RECORD_TIMEOUT_SECONDS):
                await self.log.add(record)
        except PyMongoError as exc:  # the request changed nothing; its record waits for no outage
            log.warning("audit record of %s (%s) not saved: %s", record["action"], record["outcome"], exc)


class ChainMoved(Exception):
    """Another instance chained records first; this round's work is dropped and done again."""


class AuditLog(Repository):
    collection_name = "audit"
    indexes = [
        IndexModel([("seq", ASCENDING), ("at", ASCENDING)]),
        IndexModel([("at", DESCENDING)]),
        IndexModel([("object_ids", ASCENDING)]),
        IndexModel([("expire_at", ASCENDING)], expireAfterSeconds=0),
    ]

    def __init__(self, mongo: Mongo) -> None:
        super().__init__(mongo)
        self.head = mongo.db["audit_head"]

    async def add(self, record: Document, session: AsyncClientSession | None = None) -> None:
        await self.collection.insert_one(record, session=session)

    async def search(self, filters: dict[str, Any], limit: int) -> list[Document]:
        return await self.collection.find(filters).sort("at", DESCENDING).limit(limit).to_list()

    async def ensure_indexes(self) -> None:
        await super().ensure_indexes()
        await self.head.update_one({"_id": "head"}, {"$setOnInsert": {"seq": 0, "hash": GENESIS}}, upsert=True)

    async def chain_once(self, session: AsyncClientSession) -> int:
        """Chain the oldest unchained records after the head; raises ChainMoved if another chainer got there."""
        head = await self.head.find_one({"_id": "head"}, session=session)
        assert head is not None, "ensure_indexes creates the head"
        cursor = self.collection.find({"seq": None}, session=session).sort("at", ASCENDING).limit(CHAIN_BATCH)
        waiting = await cursor.to_list()
        if not waiting:
            return 0
        seq, prev = head["seq"], head["hash"]
        updates = []
        for record in waiting:
            seq += 1
            record["seq"] = seq
            link = digest(record, prev)
            updates.append(UpdateOne({"_id": record["_id"], "seq": None},
                                     {"$set": {"seq": seq, "prev_hash": prev, "hash": link}}))  # fmt: skip
            prev = link
        result = await self.collection.bulk_write(updates, ordered=True, session=session)
        moved = await self.head.update_one({"_id": "head", "seq": head["seq"]},
                                           {"$set": {"seq": seq, "hash": prev}}, session=session)  # fmt: skip
        if result.modified_count != len(updates) or moved.modified_count != 1:
            raise ChainMoved
        return len(updates)


@dataclass(frozen=True)
class Verification:
    checked: int
    pending: int  # records not yet chained (a few seconds' worth)
    first_seq: int | None
    last_seq: int | None
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


async def verify(log: AuditLog) -> Verification:
    """Walk the chain from the oldest record kept (older ones expire by retention) to the head."""
    checked, first, previous, prev_hash = 0, None, None, None
    async for record in log.collection.find({"seq": {"$ne": None}}).sort("seq", ASCENDING):
        seq = record["seq"]
        first = seq if first is None else first
        if previous is not None and seq != previous + 1:
            return Verification(checked, 0, first, previous, seq, f"records {previous + 1}..{seq - 1} are missing")
        expected_prev = record.get("prev_hash") if prev_hash is None else prev_hash
        if record.get("prev_hash") != expected_prev or digest(record, expected_prev) != record.get("hash"):
            return Verification(checked, 0, first, previous, seq, f"record {seq} was changed after it was chained")
        checked, previous, prev_hash = checked + 1, seq, record["hash"]
    head = await log.head.find_one({"_id": "head"})
    pending = await log.collection.count_documents({"seq": None})
    if head and head["seq"] and (previous != head["seq"] or prev_hash != head["hash"]):
        return Verification(
            checked,
            pending,
            first,
            previous,
            previous,
            f"the chain ends at {previous} but its head says {head['seq']}: records were removed",
        )
    return Verification(checked, pending, first, previous)
