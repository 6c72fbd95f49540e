"""Sites reach the access service as events: a grant is asked for a site, in its region, with its account
engineer, and authorised by the approvers its contract names, for no longer than its cap, or at once by one of its
standing rules (some only out of its working hours)."""

from __future__ import annotations

from pacs_access.deps import AccessDeps
from pacs_contracts.events import SiteRegistered
from pacs_kit.uow import Tx


async def handle(event: SiteRegistered, *, tx: Tx, deps: AccessDeps) -> None:
    """Keep the site as registered, replacing what an earlier registration said."""
    hours = event.working_hours.model_dump(mode="json") if event.working_hours else None
    site = {"_id": event.site_id, "name": event.name, "region": event.region,
            "account_engineer_id": event.account_engineer_id, "time_zone": event.time_zone,
            "access_approvers": list(event.access_approvers),
            "access_max_minutes": event.access_max_minutes,
            "access_standing_rules": [r.model_dump(mode="json") for r in event.access_standing_rules],
            "working_hours": hours}  # fmt: skip
    await deps.sites.upsert(site, tx.session)
