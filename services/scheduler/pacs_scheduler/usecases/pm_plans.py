"""Keeping a site's PM plan stocked: when a plan is set, a visit is told or one is completed early."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pacs_contracts.api import PmPlanTerms, PmStatus
from pacs_kit.uow import Tx
from pacs_scheduler.domain import pm

if TYPE_CHECKING:
    from pacs_scheduler.deps import SchedulerDeps


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
