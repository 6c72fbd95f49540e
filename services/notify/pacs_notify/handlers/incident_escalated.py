from pacs_contracts.events import IncidentEscalated
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import incident_escalated_text
from pacs_notify.handlers.tell import tell


async def handle(event: IncidentEscalated, *, tx: Tx, deps: NotifyDeps) -> None:
    await tell(
        tx, deps, incident_id=event.incident_id, engineer_id=event.assignee_id,
        key=f"{event.incident_id}:escalated:{event.to_tier.value}:{event.escalated_at.isoformat()}",
        reason=event.type, text=lambda locale: incident_escalated_text(event, locale),
    )  # fmt: skip
