from pacs_contracts.events import RemoteAccessDenied
from pacs_escalation.deps import EscalationDeps
from pacs_kit.uow import Tx


async def handle(event: RemoteAccessDenied, *, tx: Tx, deps: EscalationDeps) -> None:
    if event.incident_id is not None:
        entry = {"at": event.denied_at, "what": "remote_access_denied", "request_id": event.request_id,
                 "by": event.denied_by}  # fmt: skip
        await deps.incidents.record_at_site(event.incident_id, event.site_id, entry, tx.session)
