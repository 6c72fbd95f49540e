"""Time covered by a set of intervals, each moment counted once: downtime against the maintenance windows agreed
with a hospital. One rule for the escalation ledger and the scheduler's service review."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

Interval = tuple[datetime, datetime]  # [start, end)


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """The intervals merged where they overlap or touch, in order; empty ones dropped."""
    merged: list[Interval] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def covered_minutes(start: datetime, end: datetime, intervals: Iterable[Interval]) -> float:
    """Minutes of [start, end) that fall inside any of `intervals`, where they overlap counted once."""
    return sum(max(0.0, (min(end, b) - max(start, a)).total_seconds() / 60) for a, b in union(intervals))
