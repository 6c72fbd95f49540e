"""Sites reach the scheduler as events: a PM plan needs the account engineer, a report the site's name."""

from __future__ import annotations

from pacs_contracts.events import SiteRegistered
from pacs_kit.uow import Tx
from pacs_scheduler.deps import SchedulerDeps


async def handle(event: SiteRegistered, *, tx: Tx, deps: SchedulerDeps) -> None:
    """Keep the site as registered, replacing what an earlier registration said."""
    site = {"_id": event.site_id, "name": event.name, "region": event.region,
            "account_engineer_id": event.account_engineer_id, "time_zone": event.time_zone,
            "availability_commitment_percent": event.availability_commitment_percent,
            "software_downtime_budget_minutes": event.software_downtime_budget_minutes}  # fmt: skip
    await deps.sites.upsert(site, tx.session)
