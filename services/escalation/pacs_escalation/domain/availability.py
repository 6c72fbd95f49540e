"""The downtime ledger: whole-system outages by cause, counted against the yearly software budget, less the time
inside maintenance windows agreed with the hospital for the whole site."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pacs_contracts.common import parse_duration
from pacs_contracts.intervals import Interval, covered_minutes, union


class InvalidOutage(ValueError):
    pass


def budget_minutes(contract: dict[str, Any]) -> float:
    """The contract's yearly software downtime budget, in minutes (four hours unless it says otherwise)."""
    return parse_duration(contract.get("software_downtime_budget", "PT4H")).total_seconds() / 60


def outage(incident: dict[str, Any], resolution: dict[str, Any], resolved_at: datetime) -> dict[str, Any] | None:
    """The ledger entry a resolution records, or None when the whole system was not down."""
    if not resolution.get("whole_system_down"):
        return None
    down_from = resolution.get("down_from")
    if down_from is None:
        raise InvalidOutage("down_from: say when the whole system went down")
    start = datetime.fromisoformat(down_from) if isinstance(down_from, str) else down_from
    if start > resolved_at:
        raise InvalidOutage("down_from: the outage cannot start after it was resolved")
    return {
        "_id": incident["_id"],
        "site_id": incident["site_id"],
        "cause": resolution["caused_by"],
        "start": start,
        "end": resolved_at,
    }


def planned_time(windows: list[dict[str, Any]]) -> list[Interval]:
    """Whole-site windows as they really ran: from their start to their end (while running, their agreed end),
    never past the agreed end. A window whose start was never heard plans nothing."""
    return union((w["started_at"], min(w["ends_at"], w.get("ended_at") or w["ends_at"])) for w in windows
                 if w.get("started_at") is not None and w.get("ends_at") is not None)  # fmt: skip


def minutes_in_year(entry: dict[str, Any], year: int) -> float:
    """Minutes of an outage that fall in a calendar year (UTC): an outage over New Year counts in both."""
    start = max(entry["start"], datetime(year, 1, 1, tzinfo=UTC))
    end = min(entry["end"], datetime(year + 1, 1, 1, tzinfo=UTC))
    return max(0.0, (end - start).total_seconds() / 60)


def summary(entries: list[dict[str, Any]], year: int, software_budget_minutes: float,
            planned: Sequence[Interval] = ()) -> dict[str, Any]:  # fmt: skip
    """Minutes down by cause in the year, each outage charged only for its time outside the `planned` windows
    (overlapping windows count once); the time inside them is reported apart, as planned."""
    by_cause: dict[str, float] = {}
    planned_total = 0.0
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    for entry in entries:
        a, b = max(entry["start"], start), min(entry["end"], end)
        if b <= a:
            continue
        inside = covered_minutes(a, b, planned)
        planned_total += inside
        by_cause[entry["cause"]] = by_cause.get(entry["cause"], 0.0) + (b - a).total_seconds() / 60 - inside
    year_minutes = (end - start).total_seconds() / 60
    software = by_cause.get("software", 0.0)
    return {
        "year": year,
        "minutes_down_by_cause": {k: round(v, 1) for k, v in sorted(by_cause.items())},
        "planned_minutes_excluded": round(planned_total, 1),
        "software_budget_minutes": software_budget_minutes,
        "software_minutes_left": round(software_budget_minutes - software, 1),
        "availability_percent": round(100 * (1 - sum(by_cause.values()) / year_minutes), 4),
    }
