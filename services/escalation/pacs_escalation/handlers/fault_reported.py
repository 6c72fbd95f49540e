from datetime import UTC, datetime

from pacs_contracts.common import Tier
from pacs_contracts.events import FaultReported
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain import incident as incidents
from pacs_escalation.domain.sla import CLOSED
from pacs_escalation.usecases.on_call import who_takes
from pacs_kit.uow import Tx


async def handle(event: FaultReported, *, tx: Tx, deps: EscalationDeps) -> None:
    site = await tx.read_once(("site", event.site_id), lambda: deps.sites.get(event.site_id, tx.session))
    if site is None:
        raise LookupError(f"fault {event.fault_id} names unknown site {event.site_id}")
    now = datetime.now(UTC)
    if event.incident_id is not None:  # a further call about an open incident: counted on it, no second incident
        current = await deps.incidents.collection.find_one({"_id": event.incident_id, "site_id": event.site_id},
                                                           {"state": 1}, session=tx.session)  # fmt: skip
        if current is not None and current["state"] not in CLOSED:
            entry = {"at": now, "what": "call_logged", "fault_id": event.fault_id, "summary": event.code}
            deps.incidents.record_occurrence_on_commit(tx, event.incident_id, entry)
            return
    tier = incidents.start_tier(event)
    on_call = None
    if tier != Tier.L1:  # a platform service asked for a higher tier: its on-call takes it, as a ladder step would
        on_call = await who_takes(deps.rosters, deps.engineers, site["region"], tier.value, now, tx.session)
    incident = incidents.open_from_fault(event, site, now, on_call)
    deps.incidents.add_on_commit(tx, incident)  # with the batch's other incidents, in one round trip
    await tx.emit(incidents.opened_event(incident))
