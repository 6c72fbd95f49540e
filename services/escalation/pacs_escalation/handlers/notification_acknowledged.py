"""An engineer acknowledged from the message (ack link or SMS reply): the incident is acknowledged for them.

Only the incident's owner acknowledges it this way: a message sent to a previous owner for
information does not stop the clock. An incident already acknowledged, or further along, is left
as it is.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pacs_contracts.events import NotificationAcknowledged
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain.actions import apply
from pacs_escalation.domain.lifecycle import Action, IllegalTransition
from pacs_escalation.usecases import incident_changes
from pacs_kit.uow import Tx

log = logging.getLogger(__name__)


async def handle(event: NotificationAcknowledged, *, tx: Tx, deps: EscalationDeps) -> None:
    incident = await deps.incidents.collection.find_one({"_id": event.incident_id}, session=tx.session)
    if incident is None or incident.get("assignee_id") != event.engineer_id:
        log.info("acknowledgement of %s by %s not applied: not the owner", event.incident_id, event.engineer_id)
        return
    try:
        change = apply(incident, Action.acknowledge, datetime.now(UTC), event.engineer_id, {"via": "message"})
    except IllegalTransition:
        return  # acknowledged already, or beyond
    await incident_changes.save(incident["_id"], change, tx, deps)  # moved meanwhile: left as it is
