"""Sites reach intake as events: a fault or a call names a site that must be registered."""

from pacs_contracts.events import SiteRegistered
from pacs_intake.deps import IntakeDeps
from pacs_kit.uow import Tx


async def handle(event: SiteRegistered, *, tx: Tx, deps: IntakeDeps) -> None:
    """Keep the site as registered, replacing what an earlier registration said."""
    site = {"_id": event.site_id, "name": event.name, "region": event.region, "time_zone": event.time_zone}
    await deps.sites.upsert(site, tx.session)
