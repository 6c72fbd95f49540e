"""Remote access to the hospital's servers is written on the incident it serves: asked, granted or denied, ended."""

from pacs_contracts.events import RemoteAccessRequested
from pacs_escalation.deps import EscalationDeps
from pacs_kit.uow import Tx


async def handle(event: RemoteAccessRequested, *, tx: Tx, deps: EscalationDeps) -> None:
    if event.incident_id is not None:
        entry = {"at": event.requested_at, "what": "remote_access_requested", "request_id": event.request_id,
                 "by": event.requested_by, "level": event.level, "hosts": list(event.hosts)}  # fmt: skip
        await deps.incidents.record_at_site(event.incident_id, event.site_id, entry, tx.session)
