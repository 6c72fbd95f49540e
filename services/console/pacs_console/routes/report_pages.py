"""The SLA report for a period, for supervisors and admins: on the page, and as CSV for a spreadsheet. Read from
escalation's report API as the signed-in user; the console only lays it out."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from pacs_console.routes.signed_in import SignedIn, Visit
from pacs_console.usecases.sites import site_facts

router = APIRouter(prefix="/console/reports", include_in_schema=False)
GroupBy = Literal["site", "region", "tier"]
COLUMNS = ("incidents", "mtta_minutes", "mttr_minutes", "response_met", "response_breached", "response_percent",
           "on_site_met", "on_site_breached", "on_site_percent")  # fmt: skip


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The days asked for, both included; by default this month so far."""
    first = start or today.replace(day=1)
    return first, max(first, end or today)


def flat(row: dict[str, Any], group_by: str) -> dict[str, Any]:
    """One group's figures as a flat row (the CSV's and the table's)."""
    clocks = row["compliance"]
    return {"group": row[group_by], "incidents": row["incidents"], "mtta_minutes": row["mtta_minutes"],
            "mttr_minutes": row["mttr_minutes"],
            **{f"{clock}_{k}": clocks[clock][k] for clock in ("response", "on_site") for k in
               ("met", "breached", "percent")}}  # fmt: skip


async def _report(visit: Visit, start: date | None, end: date | None, group_by: str) -> dict[str, Any]:
    zone = ZoneInfo(visit.time_zone)  # the days of the period are the user's days
    first, last = period(start, end, datetime.now(zone).date())
    after = datetime.combine(last + timedelta(days=1), time(0), zone)
    span = {"from": datetime.combine(first, time(0), zone).isoformat(), "to": after.isoformat(), "group_by": group_by}
    token = visit.token()
    found = await visit.deps.platform.get("/api/v1/reports/sla", token, span)
    rows = [flat(r, group_by) for r in found["groups"]]
    names = await site_facts(visit.deps.platform, token, {r["group"] for r in rows}) if group_by == "site" else {}
    for r in rows:
        r["name"] = names.get(r["group"], {}).get("name", r["group"])
    return {"first": first, "last": last, "rows": rows, "group_by": group_by}


@dataclass(frozen=True)
class Asked:
    """The period and grouping a report is asked for (the page's form, the CSV link)."""

    start: date | None
    end: date | None
    group_by: str


def asked(
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    group_by: Annotated[GroupBy, Query()] = "site",
) -> Asked:
    return Asked(start, end, group_by)


AskedDep = Annotated[Asked, Depends(asked)]


@router.get("/sla", response_class=HTMLResponse)
async def sla_page(visit: SignedIn, ask: AskedDep) -> Response:
    if not visit.has_role("supervisor", "admin"):
        return visit.refuse(403, "error.supervisor_only")
    return visit.page("report_sla.html", **await _report(visit, ask.start, ask.end, ask.group_by), zone=visit.time_zone)


@router.get("/sla.csv")
async def sla_csv(visit: SignedIn, ask: AskedDep) -> Response:
    if not visit.has_role("supervisor", "admin"):
        return visit.refuse(403, "error.supervisor_only")
    group_by = ask.group_by
    report = await _report(visit, ask.start, ask.end, group_by)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([group_by, "name", *COLUMNS])
    for row in report["rows"]:
        writer.writerow([row["group"], row["name"], *("" if row[c] is None else row[c] for c in COLUMNS)])
    name = f"sla-{report['first']:%Y%m%d}-{report['last']:%Y%m%d}-by-{group_by}.csv"
    # a byte-order mark, so a spreadsheet opens the Chinese hospital names as UTF-8
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
