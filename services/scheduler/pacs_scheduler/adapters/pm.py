"""PM plans and visits: stored, and moved on time (pm.due, pm.overdue), each once across instances.

Like maintenance windows, every instance checks twice a second and moves a visit with a guarded
write in the same transaction as its event, so a second instance, a restart or a retry never
publishes it twice, and a visit that came due while the scheduler was down is told at once. When
a visit is told, the plan is topped up so `ahead` visits stay planned.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_contracts.api import PmPlanTerms, PmStatus
from pacs_contracts.events import Event
from pacs_kit.loop import WorkLoop
from pacs_kit.mongo import Document, ReadModel, Repository
from pacs_kit.uow import Tx
from pacs_scheduler.domain import pm

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

CHECK_SECONDS = 0.5
BATCH = 100


class Sites(ReadModel):
    """The scheduler's read model of sites (from `site.registered`): who the account engineer is, the name."""

    collection_name = "sites"


class Plans(Repository):
    collection_name = "pm_plans"

    async def get(self, site_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": site_id}, session=session)

    async def put(self, plan: Document, session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": plan["_id"]}, plan, upsert=True, session=session)


class Visits(Repository):
    collection_name = "pm_visits"
    indexes = [
        IndexModel([("status", ASCENDING), ("notify_at", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("overdue_at", ASCENDING)]),
        IndexModel([("site_id", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("engineer_id", ASCENDING), ("due_at", ASCENDING)]),
    ]

    async def add_all(self, visits: list[Document], session: AsyncClientSession) -> None:
        if visits:
            await self.collection.insert_many(visits, session=session)

    async def get(self, visit_id: str, session: AsyncClientSession | None = None) -> Document | None:
        return await self.collection.find_one({"_id": visit_id}, session=session)

    async def search(self, filters: dict[str, Any], limit: int, offset: int) -> tuple[list[Document], int]:
        cursor = self.collection.find(filters).sort("due_at", ASCENDING).skip(offset).limit(limit)
        return await cursor.to_list(), await self.collection.count_documents(filters)

    async def of_site(self, site_id: str, statuses: tuple[str, ...], session: AsyncClientSession | None = None,
                      ) -> list[Document]:  # fmt: skip
        query = {"site_id": site_id, "status": {"$in": list(statuses)}}
        return await self.collection.find(query, session=session).sort("due_at", ASCENDING).to_list()

    async def due(self, status: str, field: str, now: datetime, limit: int) -> list[Document]:
        """Visits in `status` whose `field` (notify_at or overdue_at) has come: a bounded index range."""
        query = {"status": status, field: {"$lte": now}}
        return await self.collection.find(query).sort(field, ASCENDING).limit(limit).to_list()

    async def move(self, visit_id: str, from_status: tuple[str, ...], fields: dict[str, Any],
                   session: AsyncClientSession, push: Document | None = None) -> bool:  # fmt: skip
        """Change the visit only if it is still in one of `from_status`: False if someone moved it first."""
        update: dict[str, Any] = {"$set": fields}
        if push:
            update["$push"] = push
        result = await self.collection.update_one(
            {"_id": visit_id, "status": {"$in": list(from_status)}}, update, session=session
        )
        return result.modified_count == 1

    async def cancel_planned(self, site_id: str, now: datetime, session: AsyncClientSession) -> None:
        await self.collection.update_many({"site_id": site_id, "status": PmStatus.planned.value},
                                          {"$set": {"status": PmStatus.cancelled.value, "cancelled_at": now}},
                                          session=session)  # fmt: skip


async def top_up(deps: SchedulerDeps, site_id: str, now: datetime, tx: Tx) -> int:
    """Plan visits after the last one until `ahead` are planned; returns how many were added."""
    plan = await deps.plans.get(site_id, tx.session)
    if plan is None:
        return 0
    terms = PmPlanTerms.model_validate(plan["terms"])
    kept = await deps.visits.of_site(site_id, (*pm.OPEN, PmStatus.completed.value), tx.session)
    planned = sum(v["status"] == PmStatus.planned.value for v in kept)
    last = max((v["due_at"] for v in kept), default=None)
    dues = pm.schedule(terms, last, terms.ahead - planned, not_before=now)
    revision = plan.get("revision", 0)
    await deps.visits.add_all([pm.visit(site_id, plan["engineer_id"], terms, due, now, revision) for due in dues],
                              tx.session)  # fmt: skip
    return len(dues)


async def move(kit: Kit, deps: SchedulerDeps, visit: Document, fields: dict[str, Any], event: Event) -> bool:
    async def work(tx: Tx) -> bool:
        if not await deps.visits.move(visit["_id"], (visit["status"],), fields, tx.session):
            return False
        await tx.emit(event, correlation_id=visit["_id"])
        if fields["status"] == PmStatus.due.value:
            await top_up(deps, visit["site_id"], fields["notified_at"], tx)
        return True

    moved: bool = await kit.uow.run(work)
    return moved


async def step(kit: Kit, deps: SchedulerDeps) -> None:
    now = datetime.now(UTC)
    # told before overdue: a visit whose whole window passed while the scheduler was down gets both, in order
    for visit in await deps.visits.due(PmStatus.planned.value, "notify_at", now, BATCH):
        await move(kit, deps, visit, {"status": PmStatus.due.value, "notified_at": now}, pm.due_event(visit))
    for visit in await deps.visits.due(PmStatus.due.value, "overdue_at", now, BATCH):
        await move(kit, deps, visit, {"status": PmStatus.overdue.value, "overdue_since": now},
                   pm.overdue_event(visit))  # fmt: skip


async def run(kit: Kit, deps: SchedulerDeps) -> None:
    """Twice a second; while the database is away the visits wait and are moved once it is back."""

    async def once() -> bool:
        await step(kit, deps)
        return False

    await WorkLoop("PM visits", once, CHECK_SECONDS).run()
