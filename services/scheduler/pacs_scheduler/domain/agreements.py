"""A hospital's standing consent: the recurring windows it agreed in advance, and which of them a release fits.
Pure: an agreement is a plain document, time is passed in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pacs_contracts.common import parse_duration


def next_window(agreement: Mapping[str, Any], after: datetime, needed: timedelta) -> tuple[datetime, datetime] | None:
    """The first standing window that begins after `after` and is long enough for `needed`: (start, end of the
    part the release takes). None when no standing window is long enough."""
    window = agreement["window"]
    every, length = parse_duration(window["every"]), parse_duration(window["length"])
    if needed > length:
        return None
    first = window["first_starts_at"]
    first = datetime.fromisoformat(first) if isinstance(first, str) else first
    passed = 0 if after < first else (after - first) // every + 1
    start = first + passed * every
    return start, start + needed


def consents_to(agreement: Mapping[str, Any] | None, release_kind: str) -> bool:
    """Whether the hospital pre-approved releases of this kind."""
    return agreement is not None and release_kind in agreement.get("pre_approved", [])


SHORTEST = timedelta(0)  # any standing window: for "when is the next one"
