"""A draft service review for every site after each period closes, on the scheduler's clock.

Every instance looks; the review's unique key (sites and period) lets one of them write it. A period is drafted
once late events have had `review_settle_seconds` to arrive, and a site that the scheduler learns of later, or a
scheduler that was down when the period closed, gets its draft at the next look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pacs_kit.loop import WorkLoop
from pacs_kit.mongo import Document
from pacs_kit.uow import Tx
from pacs_scheduler.domain.review import closed_period
from pacs_scheduler.usecases import reviews

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

DRAFTED_BY = "scheduler"


async def step(kit: Kit, deps: SchedulerDeps) -> None:
    settings = deps.settings
    now = datetime.now(UTC)
    async for site in deps.sites.collection.find({}, {"time_zone": 1}):
        span = closed_period(now - timedelta(seconds=settings.review_settle_seconds), settings.review_every,
                             site.get("time_zone", "UTC"))  # fmt: skip
        if await deps.reviews.by_key(reviews.key_of([site["_id"]], span.label)) is not None:
            continue
        doc = await reviews.draft(deps, [site["_id"]], span.label, now, DRAFTED_BY)

        async def add(tx: Tx, doc: Document = doc) -> bool:
            return await deps.reviews.add(doc, tx.session)

        await kit.uow.run(add)


async def draft_service_reviews(kit: Kit, deps: SchedulerDeps) -> None:
    await WorkLoop.every("service review drafts", deps.settings.review_check_seconds, lambda: step(kit, deps)).run()
