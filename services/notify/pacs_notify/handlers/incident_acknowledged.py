from datetime import UTC, datetime

from pacs_contracts.events import IncidentAcknowledged
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps


async def handle(event: IncidentAcknowledged, *, tx: Tx, deps: NotifyDeps) -> None:
    """An incident acknowledged anywhere (the app, or a link) stops the remaining steps and repeats of its
    messages."""
    waiting = await deps.notifications.open_for_incident(event.incident_id, tx.session)
    if waiting:
        await deps.notifications.acknowledge(waiting, datetime.now(UTC), tx.session)
        await deps.sends.skip_for(waiting, tx.session)
