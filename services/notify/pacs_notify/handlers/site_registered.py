from pacs_contracts.events import SiteRegistered
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps


async def handle(event: SiteRegistered, *, tx: Tx, deps: NotifyDeps) -> None:
    """The site's region tells whose supervisors hear of its breaches; its named contacts, who at the hospital is
    e-mailed its notices."""
    site = {"_id": event.site_id, "name": event.name, "region": event.region, "time_zone": event.time_zone,
            "account_engineer_id": event.account_engineer_id,
            "contacts": [c.model_dump(mode="json") for c in event.contacts]}  # fmt: skip
    await deps.sites.upsert(site, tx.session)
