"""Refreshes the access service's gauges from the database every few seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pacs_kit.loop import WorkLoop

if TYPE_CHECKING:
    from pacs_access.deps import AccessDeps
    from pacs_kit.service import Kit

EVERY_SECONDS = 5.0


async def refresh_gauges(kit: Kit, deps: AccessDeps) -> None:
    async def refresh() -> None:
        deps.metrics.open.set(await deps.requests.collection.count_documents({"state": "granted"}))
        deps.metrics.waiting.set(await deps.requests.collection.count_documents({"state": "requested"}))

    await WorkLoop.every("remote-access gauges", EVERY_SECONDS, refresh).run()
