"""Value types used across contracts."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, StringConstraints

Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{5,20}$")]
MAX_DURATION = timedelta(days=3660)  # ten years: no term, shift or delay of the platform is longer
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration of days, hours, minutes and seconds ("PT2H", "P1DT30M", "PT5S")."""
    match = _DURATION.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not an ISO-8601 duration such as PT2H or PT30S")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    try:
        value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        value = timedelta.max
    if value > MAX_DURATION:
        raise ValueError(f"{text!r} is longer than {MAX_DURATION.days} days")
    return value


def _check_duration(text: str) -> str:
    parse_duration(text)
    return text


IsoDuration = Annotated[str, StringConstraints(max_length=40), AfterValidator(_check_duration)]

_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}$")


def _known_zone(name: str) -> str:
    """An IANA name, checked for shape before it reaches the zone database (which is files on disk)."""
    if len(name) > 64 or not _ZONE_NAME.match(name):
        raise ValueError(f"{name[:64]!r} is not an IANA time zone such as Asia/Shanghai")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{name!r} is not an IANA time zone such as Asia/Shanghai") from None
    return name


TimeZone = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_known_zone)
]

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

# A dotted numeric release (an optional leading v, at most eight numbers), then optionally a vendor suffix after a
# separator or straight after the numbers when it starts with a letter: 7.2.1, 11.2.0.4, 2019-CU18, 3.6.0-beta2,
# 1.2.3rc1, 4.18.0-477.el8. The one grammar agents report in and the platform writes releases in.
VERSION_PATTERN = (
    r"^[vV]?(?P<release>\d{1,9}(?:\.\d{1,9}){0,7})"
    r"(?:(?:[-_+~]|\.?(?=[A-Za-z]))(?P<suffix>[A-Za-z0-9]+(?:[-_+~.][A-Za-z0-9]+)*))?$"
)
VERSION_RULE = "dotted numbers with an optional vendor suffix, e.g. 7.2.1, 11.2.0.4, 2019-CU18"
_VERSION = re.compile(VERSION_PATTERN)
_TOKEN = re.compile(r"\d+|[A-Za-z]+")


@dataclass(frozen=True)
class Version:
    """A version as reported: its release numbers (trailing zeros dropped: 7.2 is 7.2.0) and its vendor suffix as
    words and numbers ("CU18" is ("cu", 18))."""

    release: tuple[int, ...]
    suffix: tuple[int | str, ...] = ()
    text: str = field(default="", compare=False)

    def compare(self, other: Version) -> int | None:
        """-1, 0 or 1 as this one is older, the same or newer; None when they do not order. Releases order number
        by number; equal releases whose suffixes have the same words in the same places order by their numbers
        (CU18 < CU20); any other pair (beta2 against rc1, a suffix against none: 2019 against 2019-CU18) does not,
        since a vendor's scheme is not guessed."""
        if self.release != other.release:
            return -1 if self.release < other.release else 1
        if len(self.suffix) != len(other.suffix):
            return None
        for mine, theirs in zip(self.suffix, other.suffix, strict=True):
            if isinstance(mine, int) and isinstance(theirs, int):
                if mine != theirs:
                    return -1 if mine < theirs else 1
            elif mine != theirs:
                return None
        return 0

    def __str__(self) -> str:
        return self.text


def parse_version(text: str) -> Version:
    """The version in `text`: "7.2.3", "v7.2", "11.2.0.4", "2019-CU18"; ValueError for anything else."""
    match = _VERSION.match(text.strip())
    if not match:
        raise ValueError(f"{text[:64]!r} is not a version: {VERSION_RULE}")
    parts = [int(p) for p in match.group("release").split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    words = _TOKEN.findall(match.group("suffix") or "")
    return Version(tuple(parts), tuple(int(w) if w.isdigit() else w.casefold() for w in words), text.strip())


def parse_release(text: str) -> Version:
    """A version the platform writes (a release, a minimum, a range's bound): dotted numbers only, so that every
    version a site reports orders against it."""
    version = parse_version(text)
    if version.suffix:
        raise ValueError(f"{text[:64]!r} has a suffix: give dotted numbers only, e.g. 7.2.3 or 11.2.0.4")
    return version


def _check_release(text: str) -> str:
    parse_release(text)
    return text


ReleaseVersion = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_check_release)
]


class Severity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


class Tier(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"


class IncidentState(StrEnum):
    """Where an incident is in its life; escalation's lifecycle table says which action leads where."""

    opened = "opened"
    acknowledged = "acknowledged"
    on_site_required = "on_site_required"
    on_site = "on_site"
    pending_customer = "pending_customer"
    resolved = "resolved"
    closed = "closed"


FINISHED = (IncidentState.resolved, IncidentState.closed)  # the fault is fixed: no clock runs


class CausedBy(StrEnum):
    software = "software"
    hardware = "hardware"
    network = "network"
    operator = "operator"
    third_party = "third_party"


class FaultSource(StrEnum):
    his = "his"
    call = "call"


class Channel(StrEnum):
    """How an incident reached the platform: the hospital's HIS, the 800 line, remote monitoring, a PM visit."""

    his = "his"
    call = "call"
    monitoring = "monitoring"
    pm = "pm"


class Role(StrEnum):
    his = "his"
    call_agent = "call-agent"
    engineer = "engineer"
    supervisor = "supervisor"
    admin = "admin"
