from pacs_contracts.events import SiteRegistered
from pacs_intake.deps import IntakeDeps
from pacs_kit.uow import Tx


async def handle(event: SiteRegistered, *, tx: Tx, deps: IntakeDeps) -> None:
    site = {"_id": event.site_id, "name": event.name, "region": event.region, "time_zone": event.time_zone}
    await deps.sites.upsert(site, tx.session)
