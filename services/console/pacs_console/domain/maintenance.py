"""Which maintenance a call agent should know of at a hospital: what runs now, and what starts within a few hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

SOON = timedelta(hours=4)  # a scheduled window starting within this is shown beside the running ones


def worth_telling(active: list[dict[str, Any]], scheduled: list[dict[str, Any]], now: datetime,
                  soon: timedelta = SOON) -> list[dict[str, Any]]:  # fmt: skip
    """The running windows, then those starting within `soon`, each group by start."""
    starting = [w for w in scheduled if _at(w["starts_at"]) <= now + soon]
    return sorted(active, key=lambda w: _at(w["starts_at"])) + sorted(starting, key=lambda w: _at(w["starts_at"]))


def _at(value: str | datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
