from pacs_contracts.events import PmDue
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import pm_due_text
from pacs_notify.domain.plan import INFO
from pacs_notify.usecases.tell import Notice, tell


async def handle(event: PmDue, *, tx: Tx, deps: NotifyDeps) -> None:
    """The engineer named for the visit, for information: in office hours."""
    await tell(tx, deps, Notice(
        visit_id=event.visit_id, engineer_id=event.engineer_id, key=f"{event.visit_id}:due", reason=event.type,
        text=lambda locale: pm_due_text(event, locale), kind=INFO, site_id=event.site_id,
    ))  # fmt: skip
