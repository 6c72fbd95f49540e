"""SLA reports: MTTA, MTTR and compliance per clock, grouped by site, region or tier. Pure."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import mean
from typing import Any

GROUPS = {"site": "site_id", "region": "region", "tier": "tier"}
CLOCKS = ("response", "on_site")


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return (end - start).total_seconds() / 60 if end else None


def _clock_outcome(incident: dict[str, Any], clock: str) -> str | None:
    """met, breached, or None when the clock never ran (or still runs) for this incident."""
    if clock in incident.get("breached_clocks", []):
        return "breached"
    if clock == "response" and incident.get("acknowledged_at"):
        return "met"
    if clock == "on_site" and incident.get("on_site_at"):
        return "met"
    return None


def sla_report(incidents: list[dict[str, Any]], group_by: str) -> list[dict[str, Any]]:
    key = GROUPS[group_by]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for incident in incidents:
        groups[str(incident.get(key))].append(incident)
    rows = []
    for name, members in sorted(groups.items()):
        acked = [m for m in (_minutes(i["opened_at"], i.get("acknowledged_at")) for i in members) if m is not None]
        fixed = [m for m in (_minutes(i["opened_at"], i.get("resolved_at")) for i in members) if m is not None]
        compliance = {}
        for clock in CLOCKS:
            outcomes = [o for o in (_clock_outcome(i, clock) for i in members) if o]
            met = outcomes.count("met")
            compliance[clock] = {
                "met": met,
                "breached": outcomes.count("breached"),
                "percent": round(100 * met / len(outcomes), 1) if outcomes else None,
            }
        rows.append({
            group_by: name,
            "incidents": len(members),
            "mtta_minutes": round(mean(acked), 1) if acked else None,
            "mttr_minutes": round(mean(fixed), 1) if fixed else None,
            "compliance": compliance,
        })  # fmt: skip
    return rows
