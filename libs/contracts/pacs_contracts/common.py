"""Value types used across contracts."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration of days, hours, minutes and seconds ("PT2H", "P1DT30M", "PT5S")."""
    match = _DURATION.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not an ISO-8601 duration such as PT2H or PT30S")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _check_duration(text: str) -> str:
    parse_duration(text)
    return text


IsoDuration = Annotated[str, AfterValidator(_check_duration)]

_PERIOD_MONTHS = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?$")


def add_period(start: datetime, period: str, times: int = 1) -> datetime:
    """`start` plus `times` periods: years and months by the calendar (31 Jan + P1M = 28/29 Feb), else exact."""
    match = _PERIOD_MONTHS.match(period)
    if match and period != "P":
        years, months = (int(g) if g else 0 for g in match.groups())
        total = start.month - 1 + (years * 12 + months) * times
        year, month = start.year + total // 12, total % 12 + 1
        return start.replace(year=year, month=month, day=min(start.day, monthrange(year, month)[1]))
    return start + parse_duration(period) * times


def _check_period(text: str) -> str:
    match = _PERIOD_MONTHS.match(text)
    if match and text != "P":
        if not any(match.groups()) or all(int(g or 0) == 0 for g in match.groups()):
            raise ValueError(f"{text!r} is an empty period")
        return text
    if parse_duration(text).total_seconds() <= 0:
        raise ValueError(f"{text!r} is an empty period")
    return text


Period = Annotated[str, AfterValidator(_check_period)]


class Severity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


class Tier(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"


class CausedBy(StrEnum):
    software = "software"
    hardware = "hardware"
    network = "network"
    operator = "operator"
    third_party = "third_party"


class FaultSource(StrEnum):
    his = "his"
    call = "call"


class Role(StrEnum):
    his = "his"
    call_agent = "call-agent"
    engineer = "engineer"
    supervisor = "supervisor"
    admin = "admin"
