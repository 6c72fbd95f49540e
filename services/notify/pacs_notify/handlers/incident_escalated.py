from datetime import UTC, datetime

from pacs_contracts.events import IncidentEscalated
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import incident_escalated_text, new_notification


async def handle(event: IncidentEscalated, *, tx: Tx, deps: NotifyDeps) -> None:
    engineer = await deps.engineers.get(event.assignee_id, tx.session)
    notification = new_notification(
        event_key=f"{event.incident_id}:escalated:{event.to_tier.value}",
        incident_id=event.incident_id,
        engineer_id=event.assignee_id,
        reason=event.type,
        text=incident_escalated_text(event, engineer["locale"] if engineer else "en"),
        channel=deps.channel.name,
        now=datetime.now(UTC),
    )
    if await deps.notifications.add(notification, tx.session):
        tx.after_commit.append(deps.dispatcher.wake)
