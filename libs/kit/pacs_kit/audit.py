"""The audit trail: who changed what, through which request, in each service's own database.

A change made through the API is recorded in the same transaction as the change itself (the unit
of work adds it), so there is no change without its record. A request that changed nothing
(refused, invalid, or a write outside a transaction) is recorded by the middleware after the
response, with its status. Records are never updated. One chainer at a time writes the waiting
records' SHA-256 hashes into a block that also holds the previous block's hash, so an edited,
removed or inserted record, or an edited or removed block, is found (`pacs-admin verify-audit`).
A block per round rather than a chain position per record keeps the cost to a few writes a round.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pacs_kit.links import token_digest
from pacs_kit.mongo import Document, Mongo, Repository
from pacs_kit.paging import WindowMemory, newest_first
from pacs_kit.tracing import current_trace_id

log = logging.getLogger(__name__)
RECORD_TIMEOUT_SECONDS = 2.0
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_LIMIT = 16_384  # bytes of a request body kept with its record
SECRET_KEYS = ("secret", "password", "token", "key", "signature", "authorization")
GENESIS = "0" * 64  # the hash before the first block
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


def name_actor(subject: str | None, roles: Iterable[str], site_id: str | None = None,
               username: str | None = None) -> None:  # fmt: skip
    """Name the caller in the audit record of the request being served (none outside an audited request)."""
    if (ctx := current.get()) is not None:
        ctx.actor = {"subject": subject, "roles": sorted(roles), "site_id": site_id, "username": username}


def redacted(value: Any) -> Any:
    """The value with every secret-looking field blanked, recursively."""
    if isinstance(value, dict):
        return {k: "***" if any(s in k.lower() for s in SECRET_KEYS) else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def _body(raw: bytes) -> str | None:
    """The body as JSON text, secrets blanked: text, because a body's keys need not be valid database keys."""
    if not raw:
        return None
    if len(raw) > BODY_LIMIT:
        return json.dumps({"not_kept": f"a body of more than {BODY_LIMIT} bytes"})
    try:
        return json.dumps(redacted(json.loads(raw)), ensure_ascii=False, sort_keys=True)
    except (ValueError, UnicodeDecodeError):
        return json.dumps({"not_kept": f"a body of {len(raw)} bytes that is not JSON"})


def entry(service: str, ctx: RequestContext, outcome: str | int, retention: timedelta, **change: Any) -> Document:
    """One record of a request: who, from where, what, on which object, with the outcome and any before/after."""
    # a link's token is a credential: the record keeps a digest of it
    objects = {
        k: token_digest(str(v)) if k == "token" else str(v) for k, v in (ctx.scope.get("path_params") or {}).items()
    }
    now = datetime.now(UTC)
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)  # what the database keeps
    return {
        "_id": uuid.uuid4().hex, "service": service, "at": at,
        "actor": ctx.actor or {"subject": None, "roles": [], "site_id": None, "username": None},
        "address": ctx.address, "correlation_id": ctx.correlation_id or current_trace_id(),
        "action": f"{ctx.method} {getattr(ctx.scope.get('route'), 'path', ctx.path)}",
        "object": objects, "object_ids": sorted(set(objects.values())),
        "request": _body(bytes(ctx.body)), "outcome": outcome,
        "before": change.get("before"), "after": change.get("after"),
        "expire_at": at + retention,
    }  # fmt: skip


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
        except Exception:  # the answer is out already; the log keeps the evidence
            log.exception("audit record of %s (%s) not saved", record["action"], record["outcome"])


class ChainMoved(Exception):
    """Another instance chained records first; this round's work is dropped and done again."""


class AuditLog(Repository):
    """Records (never updated), the records waiting to be chained, and the chain: one block per round, each
    holding its records' hashes and the previous block's hash."""

    collection_name = "audit"
    indexes = [  # the listing reads windows of time, alone or within one object, actor or action
        IndexModel([("at", DESCENDING)]),
        IndexModel([("object_ids", ASCENDING), ("at", DESCENDING)]),
        IndexModel([("actor.subject", ASCENDING), ("at", DESCENDING)]),
        IndexModel([("action", ASCENDING), ("at", DESCENDING)]),
        IndexModel([("expire_at", ASCENDING)], expireAfterSeconds=0),
    ]

    def __init__(self, mongo: Mongo) -> None:
        super().__init__(mongo)
        self.pending = mongo.db["audit_pending"]
        self.blocks = mongo.db["audit_blocks"]
        self.head = mongo.db["audit_head"]
        self.windows = WindowMemory()

    async def ensure_indexes(self) -> None:
        await super().ensure_indexes()
        await self.pending.create_indexes([IndexModel([("at", ASCENDING)])])
        await self.blocks.create_indexes([IndexModel([("expire_at", ASCENDING)], expireAfterSeconds=0)])
        await self.head.update_one({"_id": "head"}, {"$setOnInsert": {"seq": 0, "hash": GENESIS}}, upsert=True)

    async def add(self, record: Document, session: AsyncClientSession | None = None) -> None:
        """The record, and its place in the queue for the chain (after it, so a queued record always exists)."""
        await self.add_all([record], session)

    async def add_all(self, records: list[Document], session: AsyncClientSession | None = None) -> None:
        """Many records and their places in the queue, in two round trips, always in one transaction (the caller's,
        or one of their own): a process killed between the two must not leave a record outside the chain, which
        verification would rightly report as inserted behind the chain's back."""
        if not records:
            return
        if session is None:
            await self.mongo.in_transaction(lambda own: self._insert(records, own), timeout=10.0)
        else:
            await self._insert(records, session)

    async def _insert(self, records: list[Document], session: AsyncClientSession) -> None:
        await self.collection.insert_many(records, session=session)
        await self.pending.insert_many([{"_id": r["_id"], "at": r["at"]} for r in records], session=session)

    async def search(self, filters: dict[str, Any], limit: int, since: datetime | None = None,
                     until: datetime | None = None) -> list[Document]:  # fmt: skip
        """The newest records matching `filters` within [since, until), read in bounded windows (kit paging)."""
        found, _ = await newest_first(self.collection, filters, "at", limit, None, since=since, until=until,
                                     memory=self.windows)  # fmt: skip
        return found

    async def waiting(self) -> bool:
        return await self.pending.find_one({}, {"_id": 1}) is not None

    async def chain_once(self, session: AsyncClientSession) -> int:
        """One block of the oldest waiting records after the head; raises ChainMoved if another chainer got there."""
        head = await self.head.find_one({"_id": "head"}, session=session)
        assert head is not None, "ensure_indexes creates the head"
        queued = await self.pending.find({}, session=session).sort("at", ASCENDING).limit(CHAIN_BATCH).to_list()
        if not queued:
            return 0
        ids = [q["_id"] for q in queued]
        found = {r["_id"]: r for r in await self.collection.find({"_id": {"$in": ids}}, session=session).to_list()}
        records = [found[i] for i in ids if i in found]  # a record gone already (retention) is not chained
        links = [[r["_id"], digest(r)] for r in records]
        block = {"_id": head["seq"] + 1, "prev_hash": head["hash"], "hash": block_hash(head["hash"], links),
                 "links": links, "at": datetime.now(UTC)}  # fmt: skip
        if records:
            block["expire_at"] = max(r["expire_at"] for r in records)
            block["expires_from"] = min(r["expire_at"] for r in records)
        await self.blocks.insert_one(block, session=session)
        await self.pending.delete_many({"_id": {"$in": ids}}, session=session)
        moved = await self.head.update_one({"_id": "head", "seq": head["seq"]},
                                           {"$set": {"seq": block["_id"], "hash": block["hash"]}},
                                           session=session)  # fmt: skip
        if moved.modified_count != 1:
            raise ChainMoved
        return len(queued)


def digest(record: Document) -> str:
    """A record's hash: SHA-256 of its canonical JSON, as the database keeps it."""
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


def block_hash(prev_hash: str, links: list[list[str]]) -> str:
    """A block's hash: over the previous block's hash and each record's id and hash, in order."""
    chained = hashlib.sha256(prev_hash.encode())
    for record_id, record_hash in links:
        chained.update(f"|{record_id}:{record_hash}".encode())
    return chained.hexdigest()


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    return str(value)


@dataclass(frozen=True)
class Verification:
    checked: int  # records whose hash was checked
    pending: int  # records not yet chained (a few seconds' worth)
    first_seq: int | None  # the oldest block kept (older ones expired with their records)
    last_seq: int | None
    broken_at: int | None = None  # the block where the chain breaks
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


async def verify(log: AuditLog) -> Verification:
    """Walk the blocks from the oldest kept to the head: each links to the one before, each record is as chained,
    and no record sits outside the chain."""
    checked, first, previous, prev_hash = 0, None, None, None
    async for block in log.blocks.find({}).sort("_id", ASCENDING):
        seq = block["_id"]
        first = seq if first is None else first
        if previous is not None and seq != previous + 1:
            return Verification(checked, 0, first, previous, seq, f"blocks {previous + 1}..{seq - 1} are missing")
        count, problem = await _check_block(log, block, block["prev_hash"] if prev_hash is None else prev_hash)
        checked += count
        if problem is not None:
            return Verification(checked, 0, first, previous, seq, problem)
        previous, prev_hash = seq, block["hash"]
    head = await log.head.find_one({"_id": "head"})
    pending = await log.pending.count_documents({})
    if head and head["seq"] and (previous != head["seq"] or prev_hash != head["hash"]):
        return Verification(
            checked,
            pending,
            first,
            previous,
            previous,
            f"the chain ends at block {previous} but its head says {head['seq']}: blocks were removed",
        )
    outside = await log.collection.count_documents({}) - checked - pending
    if outside > 0:
        return Verification(
            checked, pending, first, previous, None, f"{outside} record(s) are in no block: inserted outside the chain"
        )
    return Verification(checked, pending, first, previous)


async def _check_block(log: AuditLog, block: Document, anchor: str) -> tuple[int, str | None]:
    """How many of the block's records check out, and the first problem found in it."""
    seq = block["_id"]
    if block["prev_hash"] != anchor or block_hash(anchor, block["links"]) != block["hash"]:
        return 0, f"block {seq} was changed after it was written"
    ids = [record_id for record_id, _ in block["links"]]
    found = {r["_id"]: r for r in await log.collection.find({"_id": {"$in": ids}}).to_list()}
    expired = block.get("expires_from") is not None and block["expires_from"] <= datetime.now(UTC)
    checked = 0
    for record_id, record_hash in block["links"]:
        record = found.get(record_id)
        if record is None:
            if expired:
                continue  # gone with retention
            return checked, f"record {record_id} of block {seq} was removed"
        if digest(record) != record_hash:
            return checked, f"record {record_id} of block {seq} was changed after it was chained"
        checked += 1
    return checked, None
