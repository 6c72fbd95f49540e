"""Maintenance windows: scheduled → active → ended, or cancelled before they start. Pure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pacs_contracts.api import MaintenanceWindowCreate
from pacs_contracts.events import MaintenanceEnded, MaintenanceStarted

SCHEDULED, ACTIVE, ENDED, CANCELLED = "scheduled", "active", "ended", "cancelled"


def new_window(body: MaintenanceWindowCreate, actor: str, now: datetime) -> dict[str, Any]:
    return {
        "_id": f"MW-{uuid.uuid4().hex[:16].upper()}",
        **body.model_dump(),
        "state": SCHEDULED,
        "created_by": actor,
        "created_at": now,
        "started_at": None,
        "ended_at": None,
    }


def started(window: dict[str, Any], at: datetime | None = None) -> MaintenanceStarted:
    return MaintenanceStarted(window_id=window["_id"], site_id=window["site_id"], host=window.get("host"),
                              ends_at=window["ends_at"], started_at=at)  # fmt: skip


def ended(window: dict[str, Any], at: datetime | None = None) -> MaintenanceEnded:
    return MaintenanceEnded(window_id=window["_id"], site_id=window["site_id"], host=window.get("host"), ended_at=at)
