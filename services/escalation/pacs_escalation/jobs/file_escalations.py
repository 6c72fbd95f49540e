"""Files the ladder's escalations in the escalation database, behind the clocks and at a bounded pace.

A sweep only queues the incidents it escalated (one small write in its transaction); this loop
turns them into cases: it reads the incidents, embeds their text (the CPU-heavy part, once per
text) and files them unless a later version is there already. It files at most FILING_BATCH
cases every FILING_PAUSE seconds, and nothing while the clocks are busy, so a storm of
escalations is filed after the storm rather than slowing the clocks down.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from pacs_escalation.deps import EscalationDeps, Floor
from pacs_escalation.domain.knowledge import from_incident
from pacs_kit.loop import WorkLoop
from pacs_kit.service import Kit

FILING_BATCH = 25
FILING_PAUSE = 1.0


async def file_once(deps: EscalationDeps, floor: Floor) -> int:
    """File one batch; returns how many queued escalations it took."""
    entries = await deps.filing.oldest(floor.since(), FILING_BATCH)
    if not entries:
        return 0
    incidents = await deps.incidents.by_ids(list({entry["incident_id"] for entry in entries}))
    now = datetime.now(UTC)
    cases = [from_incident(incident, now) for incident in incidents]
    await deps.encoder.embed_cases(cases)
    if cases:
        await deps.cases.file_if_newer(cases)
    await deps.filing.remove(entries)
    floor.advance(entries[-1]["at"])
    return len(entries)


async def file_escalations(kit: Kit, deps: EscalationDeps) -> None:
    floor = Floor()  # queued escalations before it are filed

    async def step() -> bool:
        if deps.pacer.busy():
            return False
        if await file_once(deps, floor) < FILING_BATCH:
            return False
        await asyncio.sleep(FILING_PAUSE)
        return True

    await WorkLoop("escalation filing", step, poll_seconds=FILING_PAUSE).run()
