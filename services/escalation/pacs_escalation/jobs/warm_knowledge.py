"""Loads the embedding model, the Chinese segmenter and the case index once, at start, before the first search."""

from __future__ import annotations

from pacs_escalation.deps import EscalationDeps
from pacs_kit.loop import WorkLoop
from pacs_kit.service import Kit


async def warm_knowledge(kit: Kit, deps: EscalationDeps) -> None:
    """Load the embedding model, jieba's dictionary and the case index before the first search needs them."""

    async def step() -> bool:
        await deps.encoder.encode(["warm-up"])
        await deps.index.refresh(deps.cases)  # loads the segmenter's dictionary too, in a worker thread
        return False

    # a failure is retried with the loop's back-off (a search meanwhile loads what it needs); once loaded, the loop
    # waits for a wake-up that never comes
    await WorkLoop("knowledge warm-up", step, poll_seconds=None).run()
