from pacs_contracts.events import RemoteAccessEnded
from pacs_escalation.deps import EscalationDeps
from pacs_kit.uow import Tx


async def handle(event: RemoteAccessEnded, *, tx: Tx, deps: EscalationDeps) -> None:
    if event.incident_id is not None:
        entry = {"at": event.ended_at, "what": "remote_access_ended", "request_id": event.request_id,
                 "by": event.ended_by, "reason": event.reason, "revoked": event.revoked}  # fmt: skip
        await deps.incidents.record_at_site(event.incident_id, event.site_id, entry, tx.session)
