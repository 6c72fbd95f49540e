from pacs_contracts.events import RemoteAccessGranted
from pacs_escalation.deps import EscalationDeps
from pacs_kit.uow import Tx


async def handle(event: RemoteAccessGranted, *, tx: Tx, deps: EscalationDeps) -> None:
    if event.incident_id is not None:
        entry = {"at": event.valid_from, "what": "remote_access_granted", "request_id": event.request_id,
                 "approvers": list(event.approvers), "until": event.valid_until}  # fmt: skip
        await deps.incidents.record_at_site(event.incident_id, event.site_id, entry, tx.session)
