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
    if await deps.faults.get(event.fault_id) is None:
        raise LookupError(f"incident {event.incident_id} names unknown fault {event.fault_id}")
