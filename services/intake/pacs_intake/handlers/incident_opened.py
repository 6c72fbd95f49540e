"""A fault intake received follows the incident escalation opened for it."""

from pacs_contracts.events import IncidentOpened
from pacs_intake.deps import IntakeDeps
from pacs_intake.domain.fault import RECEIVED, next_status
from pacs_kit.uow import Tx


async def handle(event: IncidentOpened, *, tx: Tx, deps: IntakeDeps) -> None:
    """Link the fault to its incident, once, while it is still only received."""
    if event.fault_id is None:
        return  # a proactive incident: no fault of ours to link
    # With the batch's other links, in one round trip. A fault intake never received (a PM visit's follow-up,
    # reported by the scheduler) matches nothing: there is nothing of intake's to link.
    deps.faults.link_incident_on_commit(
        tx, event.fault_id, event.incident_id, RECEIVED, next_status(RECEIVED, event.type)
    )
