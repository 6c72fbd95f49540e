"""Unit of work: state changes and the events they cause commit together.

Write requests arriving together at one instance may share a transaction (group commit, `UnitOfWork.grouped`):
each keeps its own state change, events and audit record, all atomic with one another, and the database pays one
commit and one write per collection for the lot. A group that fails is run again member by member, so one
request's conflict or refusal is its own.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from pacs_contracts import Envelope, Event
from pacs_kit import audit
from pacs_kit.audit import AuditLog, RequestContext, entry
from pacs_kit.mongo import Document, Mongo
from pacs_kit.outbox import Outbox, OutboxRelay

T = TypeVar("T")
Write = InsertOne[Document] | UpdateOne
REQUEST_TIMEOUT_SECONDS = 10.0
GROUP_MAX = 100  # requests in one group transaction
DUPLICATE_KEY = 11000
GROUP_WAIT_SECONDS = 0.002  # how long a group waits for company while requests are coming in together
GROUP_TIMEOUT_SECONDS = 3.0  # a group that cannot commit by then is committed member by member
GROUPS_IN_FLIGHT = 4


class Tx:
    """What a handler or route gets inside a transaction: the session and a way to emit events."""

    def __init__(self, session: AsyncClientSession, producer: str, correlation_id: str | None):
        self.session = session
        self.producer = producer
        self.correlation_id = correlation_id
        self.emitted: list[Document] = []
        self.staged: list[tuple[AsyncCollection[Document], Write]] = []
        self.memo: dict[Hashable, Any] = {}
        self.after_commit: list[Callable[[], None]] = []
        self.change: dict[str, Any] = {}

    def audit(self, *, before: Any = None, after: Any = None) -> None:
        """What the object looked like before and after, for the audit record of this request."""
        self.change = {"before": before, "after": after}

    def insert(self, collection: AsyncCollection[Document], doc: Document) -> None:
        """Insert `doc` as the transaction commits, in one round trip with every other write staged for that
        collection (a duplicate key then fails the transaction, as an insert of its own would)."""
        self.staged.append((collection, InsertOne(doc)))

    def update(self, collection: AsyncCollection[Document], query: Document, update: Document, *,
               upsert: bool = False) -> None:  # fmt: skip
        """Update one document (or insert it, `upsert`) as the transaction commits, with the other writes staged for
        that collection; for a write whose outcome the caller does not need to know."""
        self.staged.append((collection, UpdateOne(query, update, upsert=upsert)))

    async def read_once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """`read()`, once per transaction for `key`: events handled together that need the same site or engineer
        read it once. For what the transaction's own handlers do not change."""
        if key not in self.memo:
            self.memo[key] = await read()
        found: T = self.memo[key]
        return found

    async def emit(self, event: Event, *, correlation_id: str | None = None) -> Envelope:
        """Queue an event; it is saved with the transaction and published only if it commits."""
        envelope = Envelope.wrap(event, producer=self.producer, correlation_id=correlation_id or self.correlation_id)
        self.emitted.append(Outbox.record(envelope))
        return envelope


@dataclass
class Member:
    """One caller's work in a transaction, with the request it serves (for its audit record)."""

    work: Callable[[Tx], Awaitable[Any]]
    correlation_id: str | None
    request: RequestContext | None
    done: asyncio.Future[Any] | None = None
    context: contextvars.Context | None = None  # the caller's (its trace), when another task runs the work
    tx: Tx | None = field(default=None, repr=False)

    async def run(self, tx: Tx) -> Any:
        self.tx = tx
        if self.context is None:
            return await self.work(tx)

        async def work() -> Any:
            return await self.work(tx)

        return await asyncio.create_task(work(), context=self.context)


class UnitOfWork:
    def __init__(self, mongo: Mongo, outbox: Outbox, relay: OutboxRelay, producer: str, audit: AuditLog,
                 retention: timedelta) -> None:  # fmt: skip
        self.mongo = mongo
        self.outbox = outbox
        self.relay = relay
        self.producer = producer
        self.audit = audit
        self.retention = retention
        self._waiting: list[Member] = []
        self._grouper: asyncio.Task[None] | None = None
        self._groups: set[asyncio.Task[None]] = set()  # the groups committing now (held, so none is collected)
        self._slots = asyncio.Semaphore(GROUPS_IN_FLIGHT)

    async def run(
        self,
        work: Callable[[Tx], Awaitable[T]],
        *,
        correlation_id: str | None = None,
        timeout: float | None = REQUEST_TIMEOUT_SECONDS,
    ) -> T:
        """Run `work` in a transaction with the events it emits, then wake the relay so they leave at once.

        `timeout` bounds the whole attempt (retries included); None leaves it to the driver's two minutes.
        """
        result: T = (await self.commit([Member(work, correlation_id, audit.current.get())], timeout))[0]
        return result

    async def grouped(self, work: Callable[[Tx], Awaitable[T]], *, correlation_id: str | None = None) -> T:
        """As `run`, sharing the transaction with the requests that arrive at the same moment (group commit)."""
        member = Member(
            work,
            correlation_id,
            audit.current.get(),
            asyncio.get_running_loop().create_future(),
            contextvars.copy_context(),
        )
        self._waiting.append(member)
        if self._grouper is None or self._grouper.done():
            self._grouper = asyncio.create_task(self._group_while_waiting())
        result: T = await member.done  # type: ignore[misc]
        return result

    async def _group_while_waiting(self) -> None:
        crowded = False
        while self._waiting:
            if crowded:  # requests are arriving together: let the next few join this group
                await asyncio.sleep(GROUP_WAIT_SECONDS)
            await self._slots.acquire()  # a few groups at once: one held up by a lock never stops the rest
            group, self._waiting = self._waiting[:GROUP_MAX], self._waiting[GROUP_MAX:]
            crowded = len(group) > 1 or bool(self._waiting)
            task = asyncio.create_task(self._commit_group(group))
            self._groups.add(task)
            task.add_done_callback(self._group_done)

    def _group_done(self, task: asyncio.Task[None]) -> None:
        self._groups.discard(task)
        self._slots.release()

    async def _commit_group(self, group: list[Member]) -> None:
        if len(group) == 1:
            await self._alone(group[0])
            return
        # A group gives up early: one member locked by a dead process's transaction (until it expires) must not
        # hold the others for the whole request timeout. Alone, each then has the full timeout.
        try:
            results = await self.commit(group, GROUP_TIMEOUT_SECONDS)
        except Exception:  # find the member that failed; the others go through
            await asyncio.gather(*(self._alone(m) for m in group))
            return
        for member, result in zip(group, results, strict=True):
            _settle(member, result=result)

    async def _alone(self, member: Member) -> None:
        try:
            _settle(member, result=(await self.commit([member], REQUEST_TIMEOUT_SECONDS))[0])
        except Exception as exc:
            _settle(member, exc=exc)

    async def commit(self, members: list[Member], timeout: float | None) -> list[Any]:
        """Run each member's work in one transaction, then save their inserts, events and audit records together."""

        async def body(session: AsyncClientSession) -> list[Any]:
            results = []
            for member in members:
                results.append(await member.run(Tx(session, self.producer, member.correlation_id)))
            txs = [m.tx for m in members if m.tx is not None]
            await _write_staged(session, [staged for tx in txs for staged in tx.staged])
            await self.outbox.add_all(session, [record for tx in txs for record in tx.emitted])
            await self.audit.add_all([self._record(m) for m in members if _unrecorded(m.request)], session)
            return results

        results = await self.mongo.in_transaction(body, timeout)
        for member in members:
            if member.request is not None and member.request.mutating:
                member.request.recorded = True
            assert member.tx is not None, "every member ran"
            if member.tx.emitted:
                self.relay.wake()
            for hook in member.tx.after_commit:
                hook()
        return results

    def _record(self, member: Member) -> Document:
        assert member.request is not None and member.tx is not None
        return entry(self.producer, member.request, "committed", self.retention, **member.tx.change)


def _unrecorded(request: RequestContext | None) -> bool:
    return request is not None and request.mutating and not request.recorded


async def _write_staged(session: AsyncClientSession, staged: list[tuple[AsyncCollection[Document], Write]]) -> None:
    by_collection: dict[str, tuple[AsyncCollection[Document], list[Write]]] = {}
    for collection, write in staged:
        by_collection.setdefault(collection.full_name, (collection, []))[1].append(write)
    for collection, writes in by_collection.values():
        try:
            await collection.bulk_write(writes, session=session)  # in order: what a caller wrote first, first
        except BulkWriteError as exc:  # as a write of its own would say it: the callers catch DuplicateKeyError
            first = exc.details["writeErrors"][0]
            if first["code"] == DUPLICATE_KEY:
                raise DuplicateKeyError(first["errmsg"], DUPLICATE_KEY, first) from exc
            raise


def _settle(member: Member, *, result: Any = None, exc: BaseException | None = None) -> None:
    if member.done is None or member.done.done():  # the caller went away
        return
    if exc is not None:
        member.done.set_exception(exc)
    else:
        member.done.set_result(result)
