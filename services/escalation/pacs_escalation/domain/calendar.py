"""Working-time arithmetic in a site's business calendar: pure, exact across DST changes.

Every instant is an aware datetime; arithmetic is done in UTC, because subtracting two local
times of one zone ignores a DST change between them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366  # no contract clock runs longer; a calendar never open must not loop forever
ALL_DAY = (time(0), time(0))  # open from midnight to the next midnight


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours per weekday (0 = Monday) in an IANA time zone, minus holidays."""

    time_zone: str
    hours: Mapping[int, tuple[time, time]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # raises for an unknown zone
        if not self.hours:
            raise ValueError("a business calendar needs working hours on at least one weekday")
        for weekday, (start, end) in self.hours.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
            if end != time(0) and end <= start:
                raise ValueError(f"working hours on weekday {weekday} end before they start")

    @classmethod
    def always(cls) -> BusinessCalendar:
        """Round the clock, every day: the calendar of a site in warranty."""
        return cls("UTC", {d: ALL_DAY for d in range(7)})

    def windows(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working windows (UTC) that end after `since`, in order."""
        zone = ZoneInfo(self.time_zone)
        day = since.astimezone(zone).date() - timedelta(days=1)  # a window may have opened yesterday
        for _ in range(MAX_DAYS):
            hours = self.hours.get(day.weekday())
            if hours is not None and day not in self.holidays:
                start = datetime.combine(day, hours[0], zone).astimezone(UTC)
                end_day = day + timedelta(days=1) if hours[1] == time(0) else day
                end = datetime.combine(end_day, hours[1], zone).astimezone(UTC)
                if end > since:
                    yield start, end
            day += timedelta(days=1)

    def add(self, start: datetime, work: timedelta) -> datetime:
        """The instant at which `work` of working time has passed since `start` (in UTC)."""
        start = start.astimezone(UTC)
        remaining = work
        for window_start, window_end in self.windows(start):
            begin = max(start, window_start)
            available = window_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise ValueError(f"{work} of working time does not fit in {MAX_DAYS} days of this calendar")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        if end <= start:
            return total
        for window_start, window_end in self.windows(start):
            if window_start >= end:
                break
            total += min(end, window_end) - max(start, window_start)
        return total

    def is_open(self, at: datetime) -> bool:
        window_start, _ = next(self.windows(at))
        return window_start <= at
