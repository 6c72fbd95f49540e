"""Loads the embedding model and the case index once, at start, before the first search needs them."""

from __future__ import annotations

import logging

from pacs_escalation.deps import EscalationDeps
from pacs_kit.loop import WorkLoop
from pacs_kit.service import Kit

log = logging.getLogger(__name__)


async def warm_knowledge(kit: Kit, deps: EscalationDeps) -> None:
    """Load the embedding model and the case index before the first search needs them."""

    async def step() -> bool:
        try:
            await deps.encoder.encode(["warm-up"])
            await deps.index.refresh(deps.cases)
        except Exception:  # the first search loads them instead
            log.exception("could not warm the knowledge index")
        return False

    # one round: nothing wakes the loop again
    await WorkLoop("knowledge warm-up", step, poll_seconds=None).run()
