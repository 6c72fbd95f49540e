"""A site's licences: what a report changes, and the samples the licence rules watch. Pure.

A licence is watched like a disk: a capacity licence becomes the sample `licence_used_percent` and any licence
with an expiry `licence_days_left`, each with the licence as its host and label, so the rules `licence-capacity`
and `licence-expiry` of the pack (problem class `licence`) breach, recover and are held by maintenance windows as
every other rule is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pacs_contracts.api import LicencePublic, LicenceReport, MetricSample
from pacs_contracts.events import LicenceUpdated
from pacs_kit.documents import Document, model_of

USED_PERCENT = "licence_used_percent"
DAYS_LEFT = "licence_days_left"
FIELDS = ("capacity", "used", "expires_at")  # what a report says of a licence; the rest is bookkeeping


MAX_PERCENT = 1_000_000.0  # use beyond ten thousand times the capacity is shown as that: a number, never infinity


def used_percent(capacity: float | None, used: float | None) -> float | None:
    """Used ÷ capacity in percent; over 100 when more is used than licensed."""
    if capacity is None or used is None:
        return None
    return round(min(used / capacity * 100, MAX_PERCENT), 2)


def days_left(expires_at: datetime | None, now: datetime) -> float | None:
    """Days (with their fraction) until the licence expires; negative once it has."""
    return None if expires_at is None else (expires_at - now).total_seconds() / 86_400


def changed(stored: Mapping[str, Any] | None, reported: LicenceReport) -> bool:
    """Whether the report says anything new of the licence (a new licence is news)."""
    if stored is None:
        return True
    return any(_same_instant(stored.get(f)) != _same_instant(getattr(reported, f)) for f in FIELDS)


def _same_instant(value: Any) -> Any:
    # the database keeps instants to the millisecond: compare them at that precision
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def updated(site_id: str, reported: LicenceReport, now: datetime) -> LicenceUpdated:
    return LicenceUpdated(site_id=site_id, licence=reported.licence, capacity=reported.capacity, used=reported.used,
                          expires_at=reported.expires_at, reported_at=now)  # fmt: skip


def samples(licence: Mapping[str, Any], now: datetime) -> list[MetricSample]:
    """What the licence rules observe of one licence: how full it is, how long it has left."""
    name = licence["licence"]
    found = []
    percent = used_percent(licence.get("capacity"), licence.get("used"))
    if percent is not None:
        found.append(MetricSample(host=name, name=USED_PERCENT, labels={"licence": name}, value=percent))
    left = days_left(licence.get("expires_at"), now)
    if left is not None:
        found.append(MetricSample(host=name, name=DAYS_LEFT, labels={"licence": name}, value=round(left, 3)))
    return found


def public(doc: Document, now: datetime) -> LicencePublic:
    left = days_left(doc.get("expires_at"), now)
    return model_of(LicencePublic, doc, used_percent=used_percent(doc.get("capacity"), doc.get("used")),
                    days_left=None if left is None else math.floor(left))  # fmt: skip
