"""Finding the engineer who takes an incident at a tier: the region's roster, then the global one."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_contracts.common import parse_duration
from pacs_escalation.adapters.repository import Engineers, Rosters
from pacs_escalation.domain.roster import OnCall, Override, Roster, on_call

log = logging.getLogger(__name__)
GLOBAL = "global"  # L4 R&D and any tier without a regional roster


def roster_from(doc: dict[str, Any]) -> Roster:
    return Roster(
        time_zone=doc["time_zone"],
        engineers=tuple(doc["engineers"]),
        rotation_start=datetime.fromisoformat(doc["rotation_start"]),
        shift=parse_duration(doc["shift"]),
        overrides=tuple(
            Override(o["engineer_id"], datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"]))
            for o in doc.get("overrides", [])
        ),
    )


async def who_takes(
    rosters: Rosters, engineers: Engineers, region: str, tier: str, at: datetime, session: AsyncClientSession | None
) -> OnCall | None:
    """The on-call engineer for (region, tier) at `at`; failing a roster, any engineer of that tier.

    A roster may still name an engineer who has since retired: then the tier's other engineers take it,
    failing them the region's supervisor, and the answer says who was passed over (for the timeline)."""
    passed_over: list[str] = []
    notes: list[str] = []
    for where in (region, GLOBAL):
        doc = await rosters.get(where, tier, session)
        if doc is None:
            continue
        try:
            found = on_call(roster_from(doc), at)
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            # stored before today's checks (a zero shift, say): one bad roster never stalls the sweep of all clocks
            log.error("the %s roster of %s cannot be read (%r); the tier takes its steps", tier, where, error)
            notes.append(f"the {tier} roster of {where} cannot be read")
            continue
        if found is None:
            continue
        if await engineers.active([found.engineer_id], session):
            return found
        passed_over.append(found.engineer_id)
    if passed_over:
        notes.append(f"{', '.join(passed_over)} on the roster is no longer registered")
    note = "; ".join(notes) or None
    for where in (region, GLOBAL):
        engineer = await engineers.any_of(where, tier, session)
        if engineer is not None:
            return OnCall(engineer["_id"], "tier", at, note)
    if notes and (supervisor := await engineers.supervisor_of(region, session)) is not None:
        return OnCall(supervisor["_id"], "supervisor", at, note)
    return None
