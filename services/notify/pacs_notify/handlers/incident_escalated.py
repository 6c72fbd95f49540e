from pacs_contracts.events import IncidentEscalated
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import incident_escalated_text, passed_on_text
from pacs_notify.domain.plan import INFO
from pacs_notify.usecases.tell import Notice, tell


async def handle(event: IncidentEscalated, *, tx: Tx, deps: NotifyDeps) -> None:
    """The new owner on call; the previous owner for information, in office hours."""
    key = f"{event.incident_id}:escalated:{event.to_tier.value}:{event.escalated_at.isoformat()}"
    await tell(tx, deps, Notice(
        incident_id=event.incident_id, engineer_id=event.assignee_id, key=key, reason=event.type,
        text=lambda locale: incident_escalated_text(event, locale), site_id=event.site_id,
        caused_at=event.escalated_at,
    ))  # fmt: skip
    previous = event.previous_assignee_id
    if previous and previous != event.assignee_id:
        await tell(tx, deps, Notice(
            incident_id=event.incident_id, engineer_id=previous, key=key, reason=f"{event.type}:info",
            text=lambda locale: passed_on_text(event, locale), kind=INFO, site_id=event.site_id, ask_ack=False,
        ))  # fmt: skip
