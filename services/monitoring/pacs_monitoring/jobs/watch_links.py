"""The dead man's switch over each site's links: a link silent past its allowance is declared so, a breach told
once; its heartbeat, when it comes back, is the recovery (routes/heartbeats.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pacs_kit.loop import WorkLoop
from pacs_kit.uow import Tx
from pacs_monitoring.domain.links import silence
from pacs_monitoring.usecases.breaches import settle

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_monitoring.deps import MonitoringDeps

CHECK_SECONDS = 0.5
BATCH = 200


async def check(kit: Kit, deps: MonitoringDeps) -> int:
    """Declare silent every link past its allowance, each a breach once; returns how many."""
    now = datetime.now(UTC)

    async def work(tx: Tx) -> int:
        fallen = await deps.links.fallen_silent(now, BATCH, tx.session)
        by_site: dict[str, list[dict[str, Any]]] = {}
        for link in fallen:
            by_site.setdefault(link["site_id"], []).append(link)
        for site_id, links in by_site.items():
            seen = [silence(ln["link"], True, (now - ln["last_seen"]).total_seconds())
                    for ln in links]  # fmt: skip
            await settle(site_id, seen, now, tx, deps)
        await deps.links.declare_silent([ln["_id"] for ln in fallen], tx.session)
        return len(fallen)

    result: int = await kit.uow.run(work)
    return result


async def watch_links(kit: Kit, deps: MonitoringDeps) -> None:
    """While the database is away, silence is declared once it is back."""

    async def once() -> bool:
        return await check(kit, deps) >= BATCH

    await WorkLoop("link silence", once, CHECK_SECONDS).run()
