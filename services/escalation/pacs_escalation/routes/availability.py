"""Downtime per site and year, against the software budget of its contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pacs_escalation.deps import DepsDep
from pacs_escalation.domain.availability import budget_minutes, planned_time, summary
from pacs_kit.deps import Staff
from pacs_kit.problems import found

router = APIRouter(prefix="/api/v1/sites/{site_id}", tags=["availability"])


@router.get("/availability", summary="Minutes down by cause outside agreed windows, the software budget left")
async def availability(
    site_id: str,
    _: Staff,
    deps: DepsDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="default: this year")] = None,
) -> dict[str, Any]:
    site = found(await deps.sites.get(site_id), f"no site {site_id!r}")
    year = year or datetime.now(UTC).year
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    entries = await deps.downtime.overlapping(site_id, start, end)
    planned = planned_time(await deps.windows.overlapping(site_id, start, end))
    budget = budget_minutes(site["contract"])
    return {"site_id": site_id, **summary(entries, year, budget, planned)}
