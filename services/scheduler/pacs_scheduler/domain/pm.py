"""Preventive maintenance, pure: when the visits of a plan fall, and what each visit's events say.

Visits are due one interval apart from the first (by default one interval after the warranty
starts): the warranty interval while the next visit still falls inside the warranty, the
contract's own interval once it would not, none when the contract has no visits after warranty. `pm.due` goes out `lead`
before a visit, `pm.overdue` `grace` after it when it has not been completed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time
from typing import Any

from pacs_contracts.api import PmPlanTerms, PmStatus
from pacs_contracts.common import add_period, parse_duration
from pacs_contracts.events import PmDue, PmOverdue

OPEN = (PmStatus.planned.value, PmStatus.due.value, PmStatus.overdue.value)


def first_due(terms: PmPlanTerms) -> datetime:
    if terms.first_due_at is not None:
        return terms.first_due_at
    return add_period(datetime.combine(terms.warranty_start, time(), tzinfo=UTC), terms.during_warranty)


def next_due(terms: PmPlanTerms, after: datetime) -> datetime | None:
    """The visit after one due at `after`; None when the contract has no more."""
    quarterly = add_period(after, terms.during_warranty)
    if quarterly.date() <= terms.warranty_end:
        return quarterly
    return None if terms.after_warranty is None else add_period(after, terms.after_warranty)


def schedule(terms: PmPlanTerms, after: datetime | None, count: int, not_before: datetime) -> list[datetime]:
    """Up to `count` due dates following `after` (or from the first), none earlier than `not_before`."""
    dues: list[datetime] = []
    due: datetime | None = first_due(terms) if after is None else next_due(terms, after)
    while due is not None and len(dues) < count:
        if due >= not_before:
            dues.append(due)
        due = next_due(terms, due)
    return dues


def visit_id(site_id: str, revision: int, due_at: datetime) -> str:
    """The same for every scheduler planning this visit (so two never plan it twice), new with each revision of
    the plan (so re-planning never meets the visits it cancelled), and short whatever the site's id."""
    key = hashlib.sha256(f"{site_id}|{revision}".encode()).hexdigest()[:12]
    return f"PM-{due_at:%Y%m%d%H%M%S}-{key}"


def visit(site_id: str, engineer_id: str, terms: PmPlanTerms, due_at: datetime, now: datetime,
          revision: int = 0) -> dict[str, Any]:  # fmt: skip
    return {
        "_id": visit_id(site_id, revision, due_at),
        "site_id": site_id, "engineer_id": engineer_id, "due_at": due_at,
        **timing(terms, due_at), "status": PmStatus.planned.value, "rescheduled": [], "created_at": now,
    }  # fmt: skip


def timing(terms: PmPlanTerms, due_at: datetime) -> dict[str, datetime]:
    return {"notify_at": due_at - parse_duration(terms.lead), "overdue_at": due_at + parse_duration(terms.grace)}


def due_event(v: dict[str, Any]) -> PmDue:
    return PmDue(visit_id=v["_id"], site_id=v["site_id"], engineer_id=v["engineer_id"], due_at=v["due_at"])


def overdue_event(v: dict[str, Any]) -> PmOverdue:
    return PmOverdue(visit_id=v["_id"], site_id=v["site_id"], due_at=v["due_at"])
