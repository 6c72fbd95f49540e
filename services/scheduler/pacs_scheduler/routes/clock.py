from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from pacs_kit.deps import Staff
from pacs_scheduler.deps import DepsDep

router = APIRouter(prefix="/api/v1/clock", tags=["clock"])


class ClockPublic(BaseModel):
    holder: str | None
    expires_at: datetime | None
    sequence: int
    this_instance: str
    this_instance_ticks: bool


@router.get("", response_model=ClockPublic, summary="Who holds the cluster clock")
async def clock(_: Staff, deps: DepsDep) -> ClockPublic:
    lease = await deps.leases.current() or {}
    return ClockPublic(
        holder=lease.get("holder"),
        expires_at=lease.get("expires_at"),
        sequence=lease.get("sequence", 0),
        this_instance=deps.instance_id,
        this_instance_ticks=deps.is_leader,
    )
