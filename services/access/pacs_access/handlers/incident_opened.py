"""An incident's severity reaches the access service: a standing rule covers open incidents of its severities."""

from __future__ import annotations

from pacs_access.deps import AccessDeps
from pacs_contracts.events import IncidentOpened
from pacs_kit.uow import Tx


async def handle(event: IncidentOpened, *, tx: Tx, deps: AccessDeps) -> None:
    fields = {"site_id": event.site_id, "severity": event.severity.value, "opened_at": event.opened_at}
    deps.incidents.note_on_commit(tx, event.incident_id, fields)
