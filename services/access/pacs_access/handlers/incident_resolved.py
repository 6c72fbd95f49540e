"""A resolved incident no longer opens remote access by a standing rule."""

from __future__ import annotations

from pacs_access.deps import AccessDeps
from pacs_contracts.events import IncidentResolved
from pacs_kit.uow import Tx


async def handle(event: IncidentResolved, *, tx: Tx, deps: AccessDeps) -> None:
    deps.incidents.note_on_commit(tx, event.incident_id, {"site_id": event.site_id, "resolved_at": event.resolved_at})
