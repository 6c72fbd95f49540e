"""Heartbeats from each site's remote-monitoring and remote-access links."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from pacs_contracts.api import HeartbeatAccepted, HeartbeatCreate
from pacs_contracts.common import parse_duration
from pacs_kit.deps import KitDep, SiteKey
from pacs_kit.uow import Tx
from pacs_monitoring.deps import DepsDep
from pacs_monitoring.domain.links import silence
from pacs_monitoring.usecases.breaches import settle

router = APIRouter(prefix="/api/v1/heartbeats", tags=["heartbeats"])


@router.post("", status_code=202, response_model=HeartbeatAccepted, summary="A link is alive")
async def heartbeat(body: HeartbeatCreate, principal: SiteKey, deps: DepsDep, kit: KitDep) -> HeartbeatAccepted:
    """A link silent longer than its `allowance` is a breach (problem class `remote_link`); a beat recovers it."""
    principal.act_for_site(body.site_id)
    now = datetime.now(UTC)
    allowance = parse_duration(body.allowance)

    async def work(tx: Tx) -> bool:
        back = await deps.links.beat(body.site_id, body.link, now, allowance, tx.session)
        if back:
            await settle(body.site_id, [silence(body.link, False, 0.0)], now, tx, deps)
        return back

    recovered = await kit.uow.run(work)
    return HeartbeatAccepted(site_id=body.site_id, link=body.link, silent_after=now + allowance, recovered=recovered)
