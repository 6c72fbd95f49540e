from datetime import UTC, datetime

from pacs_contracts.events import IncidentOpened
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import new_notification


async def handle(event: IncidentOpened, *, tx: Tx, deps: NotifyDeps) -> None:
    engineer = await deps.engineers.get(event.assignee_id, tx.session)
    notification = new_notification(
        event_id=f"{event.incident_id}:opened",
        event=event,
        engineer=engineer,
        channel=deps.channel.name,
        now=datetime.now(UTC),
    )
    if await deps.notifications.add(notification, tx.session):
        tx.after_commit.append(deps.dispatcher.wake)
