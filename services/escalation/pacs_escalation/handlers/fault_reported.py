from datetime import UTC, datetime

from pacs_contracts.events import FaultReported
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain import incident as incidents
from pacs_kit.uow import Tx


async def handle(event: FaultReported, *, tx: Tx, deps: EscalationDeps) -> None:
    site = await tx.read_once(("site", event.site_id), lambda: deps.sites.get(event.site_id, tx.session))
    if site is None:
        raise LookupError(f"fault {event.fault_id} names unknown site {event.site_id}")
    incident = incidents.open_from_fault(event, site, datetime.now(UTC))
    deps.incidents.add_on_commit(tx, incident)  # with the batch's other incidents, in one round trip
    await tx.emit(incidents.opened_event(incident))
