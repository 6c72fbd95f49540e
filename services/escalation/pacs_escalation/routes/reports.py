"""Reports for operations managers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from pacs_contracts.common import Role
from pacs_escalation.deps import DepsDep
from pacs_escalation.domain.reports import sla_report
from pacs_kit.auth import Principal, require
from pacs_kit.problems import Problem

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Manager = Annotated[Principal, require(Role.supervisor, Role.admin)]


@router.get("/sla", summary="MTTA, MTTR and SLA compliance of incidents opened in a period")
async def sla(
    _: Manager,
    deps: DepsDep,
    from_: Annotated[datetime, Query(alias="from", description="inclusive, with a time zone")],
    to: Annotated[datetime, Query(description="exclusive, with a time zone")],
    group_by: Literal["site", "region", "tier"] = "site",
) -> dict[str, Any]:
    if from_.tzinfo is None or to.tzinfo is None:
        raise Problem(422, "Invalid request", "from and to need a time zone, e.g. 2026-01-01T00:00:00+08:00",
                      slug="invalid-request")  # fmt: skip
    if to <= from_:
        raise Problem(422, "Invalid request", "to must be after from", slug="invalid-request")
    incidents = await deps.incidents.opened_between(from_, to)
    return {"from": from_, "to": to, "group_by": group_by, "groups": sla_report(incidents, group_by)}
