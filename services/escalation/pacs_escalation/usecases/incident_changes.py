"""Saving a lifecycle change of an incident in the caller's transaction: staff actions over HTTP and
acknowledgements from a message both come through here."""

from __future__ import annotations

from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain.actions import Change
from pacs_kit.mongo import Document
from pacs_kit.uow import Tx


async def save(incident_id: str, change: Change, tx: Tx, deps: EscalationDeps, *, case: Document | None = None) -> bool:
    """Write the change, its downtime, its case (if any) and its events; False, with nothing written, if the
    incident moved meanwhile."""
    if not await deps.incidents.transition(incident_id, change.guard, change.fields, change.entry, tx.session):
        return False
    if change.outage is not None:
        await deps.downtime.record(change.outage, tx.session)
    if case is not None:
        await deps.cases.put_many([case], tx.session)
    for event in change.events:
        await tx.emit(event)
    return True
