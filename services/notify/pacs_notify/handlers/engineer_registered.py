from pacs_contracts.events import EngineerRegistered
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps


async def handle(event: EngineerRegistered, *, tx: Tx, deps: NotifyDeps) -> None:
    engineer = {
        "_id": event.engineer_id,
        "name": event.name,
        "region": event.region,
        "tier": event.tier.value,
        "roles": list(event.roles),
        "locale": event.locale,
    }
    await deps.engineers.upsert(engineer, tx.session)
    tx.memo.pop(("engineer", event.engineer_id), None)  # a message later in the batch reads the new record
