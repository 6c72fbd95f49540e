"""The dead man's switch over each site's links: silence past its allowance is a breach, a heartbeat its recovery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pacs_contracts.common import Severity
from pacs_kit.loop import WorkLoop
from pacs_kit.uow import Tx
from pacs_monitoring.adapters.breaches import settle
from pacs_monitoring.domain.rules import Observation

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_monitoring.deps import MonitoringDeps

RULE = "link-silent"
PROBLEM_CLASS = "remote_link"
CHECK_SECONDS = 0.5
BATCH = 200


def silence(link: str, firing: bool, silent_for: float) -> Observation:
    """A link is observed as its own host, under one rule for every link."""
    return Observation(host=link, rule=RULE, problem_class=PROBLEM_CLASS, severity=Severity.major,
                       value=silent_for, threshold=0.0, firing=firing)  # fmt: skip


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


async def watch(kit: Kit, deps: MonitoringDeps) -> None:
    """While the database is away, silence is declared once it is back."""

    async def once() -> bool:
        return await check(kit, deps) >= BATCH

    await WorkLoop("link silence", once, CHECK_SECONDS).run()
