"""A draft service review for every site after each period closes, on the scheduler's clock.

Every instance looks; the review's unique key (sites and period) lets one of them write it. A period is drafted
once late events have had `review_settle_seconds` to arrive, and a site that the scheduler learns of later, or a
scheduler that was down when the period closed, gets its draft at the next look."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pymongo.errors import DuplicateKeyError

from pacs_kit.loop import WorkLoop
from pacs_kit.uow import Tx
from pacs_scheduler.domain.review import closed_period
from pacs_scheduler.usecases import reviews

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

DRAFTED_BY = "scheduler"
log = logging.getLogger(__name__)


async def step(kit: Kit, deps: SchedulerDeps) -> None:
    """On the clock holder only (the others would repeat the work); one site's failure is logged and retried at
    the next look, and never keeps the sites after it waiting."""
    if not deps.is_leader:
        return
    settings = deps.settings
    now = datetime.now(UTC)
    async for site in deps.sites.collection.find({}, {"time_zone": 1}):
        span = closed_period(now - timedelta(seconds=settings.review_settle_seconds), settings.review_every,
                             site.get("time_zone", "UTC"))  # fmt: skip
        if await deps.reviews.by_key(reviews.key_of([site["_id"]], span.label)) is not None:
            continue
        try:
            await _draft(kit, deps, site["_id"], span.label, now)
        except DuplicateKeyError:
            continue  # drafted by hand meanwhile
        except Exception:
            log.warning("no service review drafted for %s %s yet; trying again", site["_id"], span.label, exc_info=True)


async def _draft(kit: Kit, deps: SchedulerDeps, site_id: str, period: str, now: datetime) -> None:
    doc = await reviews.draft(deps, [site_id], period, now, DRAFTED_BY)

    async def add(tx: Tx) -> None:
        await deps.reviews.add(doc, tx.session)

    await kit.uow.run(add)


async def draft_service_reviews(kit: Kit, deps: SchedulerDeps) -> None:
    await WorkLoop.every("service review drafts", deps.settings.review_check_seconds, lambda: step(kit, deps)).run()
