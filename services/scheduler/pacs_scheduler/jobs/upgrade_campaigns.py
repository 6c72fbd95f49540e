"""Upgrade campaigns moved on time, each move once across instances: a site the hospital's standing consent signs
off is signed off once it stayed green through its soak; a prechecked site is started when its window
begins (one that is not prechecked by then is left where it is, with the reason), and every active campaign's
current wave is judged: paused when too many of its sites failed, the next wave started once it succeeded and its
soak passed. Every move is a guarded write in the same transaction as its event."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pacs_contracts.api import CampaignState, SiteState
from pacs_contracts.events import UpgradeCampaignAdvanced, UpgradeCampaignPaused
from pacs_kit.loop import WorkLoop
from pacs_kit.mongo import Document
from pacs_kit.uow import Tx
from pacs_scheduler.domain import campaigns
from pacs_scheduler.usecases.campaigns import Moved, move_site, notified, sign_off

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

CHECK_SECONDS = 0.5
BATCH = 100


async def _running(deps: SchedulerDeps, row: Document, cache: dict[str, bool]) -> bool:
    """Whether the site's campaign still starts sites (a paused one does not)."""
    if row["campaign_id"] not in cache:
        campaign = await deps.campaigns.get(row["campaign_id"])
        cache[row["campaign_id"]] = campaign is not None and campaign["state"] == CampaignState.active.value
    return cache[row["campaign_id"]]


async def start_sites(kit: Kit, deps: SchedulerDeps, now: datetime) -> None:
    running: dict[str, bool] = {}
    for row in await deps.campaign_sites.window_begun(SiteState.prechecked.value, now, BATCH):
        if await _running(deps, row, running):

            async def start(tx: Tx, row: Document = row) -> bool:
                return await move_site(tx, deps, row, "window_began", "the agreed window began", now)

            await kit.uow.run(start)
        else:
            await _hold(kit, deps, row, campaigns.PAUSED)
    for row in await deps.campaign_sites.window_begun(SiteState.window_agreed.value, now, BATCH):
        await _hold(kit, deps, row, campaigns.NOT_PRECHECKED)


async def _hold(kit: Kit, deps: SchedulerDeps, row: Document, reason: str) -> None:
    """The window began but the site is not started: it keeps its state, with why, and is not looked at again."""

    async def hold(tx: Tx) -> bool:
        return await deps.campaign_sites.move(row, {"missed_start": True, "reasons": [*row["reasons"], reason]},
                                              tx.session)  # fmt: skip

    await kit.uow.run(hold)


async def judge(kit: Kit, deps: SchedulerDeps, campaign: Document, now: datetime) -> None:
    wave = campaign["current_wave"]
    rows = await deps.campaign_sites.of_campaign(campaign["_id"], wave)
    last = wave == len(campaign["waves"]) - 1
    decision = campaigns.judge_wave(campaign, [r["state"] for r in rows], now)

    async def work(tx: Tx) -> bool:
        if decision.pause:
            fields = {"state": CampaignState.paused.value, "paused_reason": decision.pause}
            event = UpgradeCampaignPaused(campaign_id=campaign["_id"], wave=wave, reason=decision.pause, at=now)
        elif decision.finished and last:
            fields, event = {"state": CampaignState.completed.value}, None
        elif decision.advance_at and campaign["next_wave_at"] is None:
            fields, event = {"next_wave_at": decision.advance_at}, None
        elif decision.finished and campaign["next_wave_at"] is not None and campaign["next_wave_at"] <= now:
            fields = {"current_wave": wave + 1, "next_wave_at": None}
            event = UpgradeCampaignAdvanced(campaign_id=campaign["_id"], wave=wave + 1, at=now)
        else:
            return False
        if not await deps.campaigns.change(campaign, fields, tx.session):
            return False
        if event is not None:
            await tx.emit(event, correlation_id=campaign["_id"])
        if isinstance(event, UpgradeCampaignAdvanced):
            started = await deps.campaign_sites.of_campaign(campaign["_id"], wave + 1, tx.session)
            for row in started:
                await move_site(tx, deps, row, "wave_started", f"wave {wave + 1} started", now)
            await notified(tx, deps, campaign, [{**r, "state": SiteState.notified.value} for r in started], now)
        return True

    await kit.uow.run(work)


async def step(kit: Kit, deps: SchedulerDeps) -> None:
    now = datetime.now(UTC)
    await start_sites(kit, deps, now)
    for row in await deps.campaign_sites.soaked(now, BATCH):
        with contextlib.suppress(Moved):  # another instance signed it off first
            await sign_off(kit, deps, row, "the standing consent", now)
    for campaign in await deps.campaigns.active(BATCH):
        await judge(kit, deps, campaign, now)


async def move_upgrade_campaigns(kit: Kit, deps: SchedulerDeps) -> None:
    """Twice a second; while the database is away nothing moves, and what came due is moved once it is back."""
    await WorkLoop.every("upgrade campaigns", CHECK_SECONDS, lambda: step(kit, deps)).run()
