from pacs_contracts.events import IncidentOpened
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import incident_opened_text
from pacs_notify.usecases.tell import Notice, tell


async def handle(event: IncidentOpened, *, tx: Tx, deps: NotifyDeps) -> None:
    await tell(tx, deps, Notice(
        incident_id=event.incident_id, engineer_id=event.assignee_id, key=f"{event.incident_id}:opened",
        reason=event.type, site_id=event.site_id, caused_at=event.opened_at,
        text=lambda locale: incident_opened_text(event, locale),
    ))  # fmt: skip
