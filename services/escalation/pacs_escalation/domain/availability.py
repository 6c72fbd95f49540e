"""The downtime ledger: whole-system outages by cause, counted against the yearly software budget."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pacs_contracts.common import parse_duration


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


def minutes_in_year(entry: dict[str, Any], year: int) -> float:
    """Minutes of an outage that fall in a calendar year (UTC): an outage over New Year counts in both."""
    start = max(entry["start"], datetime(year, 1, 1, tzinfo=UTC))
    end = min(entry["end"], datetime(year + 1, 1, 1, tzinfo=UTC))
    return max(0.0, (end - start).total_seconds() / 60)


def summary(entries: list[dict[str, Any]], year: int, software_budget_minutes: float) -> dict[str, Any]:
    by_cause: dict[str, float] = {}
    for entry in entries:
        minutes = minutes_in_year(entry, year)
        if minutes:
            by_cause[entry["cause"]] = by_cause.get(entry["cause"], 0.0) + minutes
    year_minutes = (datetime(year + 1, 1, 1, tzinfo=UTC) - datetime(year, 1, 1, tzinfo=UTC)).total_seconds() / 60
    software = by_cause.get("software", 0.0)
    return {
        "year": year,
        "minutes_down_by_cause": {k: round(v, 1) for k, v in sorted(by_cause.items())},
        "software_budget_minutes": software_budget_minutes,
        "software_minutes_left": round(software_budget_minutes - software, 1),
        "availability_percent": round(100 * (1 - sum(by_cause.values()) / year_minutes), 4),
    }
