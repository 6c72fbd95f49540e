"""A reopened incident is open again, for the standing rules, from when it reopened."""

from __future__ import annotations

from pacs_access.deps import AccessDeps
from pacs_contracts.events import IncidentReopened
from pacs_kit.uow import Tx


async def handle(event: IncidentReopened, *, tx: Tx, deps: AccessDeps) -> None:
    deps.incidents.note_on_commit(tx, event.incident_id, {"site_id": event.site_id, "reopened_at": event.reopened_at})
