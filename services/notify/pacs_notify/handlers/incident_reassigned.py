from pacs_contracts.events import IncidentReassigned
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import incident_reassigned_text
from pacs_notify.usecases.tell import Notice, tell


async def handle(event: IncidentReassigned, *, tx: Tx, deps: NotifyDeps) -> None:
    await tell(tx, deps, Notice(
        incident_id=event.incident_id, engineer_id=event.assignee_id,
        key=f"{event.incident_id}:reassigned:{event.reassigned_at.isoformat()}", reason=event.type,
        site_id=event.site_id, text=lambda locale: incident_reassigned_text(event, locale),
    ))  # fmt: skip
