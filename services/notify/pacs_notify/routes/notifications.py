from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pacs_contracts.api import NotificationPublic, Page
from pacs_contracts.common import Identifier
from pacs_kit.deps import Staff
from pacs_notify.deps import DepsDep

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=Page[NotificationPublic], summary="Notifications, oldest first")
async def list_notifications(
    _: Staff,
    deps: DepsDep,
    incident_id: Identifier | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[NotificationPublic]:
    items, total = await deps.notifications.for_incident(incident_id, limit, offset)
    return Page[NotificationPublic](
        items=[
            NotificationPublic(
                notification_id=d["_id"],
                incident_id=d["incident_id"],
                engineer_id=d["engineer_id"],
                channel=d["channel"],
                status=d["status"],
                text=d["text"],
                created_at=d["created_at"],
                sent_at=d["sent_at"],
            )
            for d in items
        ],
        total=total,
    )
