from pacs_contracts.events import IncidentOpened
from pacs_intake.deps import IntakeDeps
from pacs_intake.domain.fault import RECEIVED, next_status
from pacs_kit.uow import Tx


async def handle(event: IncidentOpened, *, tx: Tx, deps: IntakeDeps) -> None:
    if event.fault_id is None:
        return  # a proactive incident: no fault of ours to link
    status = next_status(RECEIVED, event.type)
    if await deps.faults.link_incident(event.fault_id, event.incident_id, RECEIVED, status, tx.session):
        return
    # Not found: a fault reported by another service (a PM visit's follow-up), nothing of intake's to link.
