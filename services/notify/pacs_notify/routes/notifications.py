"""The delivery log: every message, each delivery on each channel, every provider attempt and receipt."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from pacs_contracts.api import DeliveryPublic, NotificationPublic, Page
from pacs_contracts.common import Identifier
from pacs_kit.deps import PageCursor, Staff, WantTotal
from pacs_kit.documents import model_of
from pacs_kit.paging import bounded_count, cursor_of, next_link
from pacs_notify.deps import DepsDep
from pacs_notify.domain.plan import mask

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


def _delivery(d: dict[str, Any]) -> DeliveryPublic:
    return DeliveryPublic(
        delivery_id=d["_id"], channel=d["channel"], address=mask(d.get("address")), due_at=d["due_at"],
        status=d["status"], provider=d.get("provider"), provider_message_id=d.get("provider_message_id"),
        attempts=[{k: a.get(k) for k in ("provider", "outcome", "error", "at")} for a in d.get("attempts", [])]
        + [_receipt(d, r) for r in d.get("receipts", [])],
        sent_at=d.get("sent_at"), bundled_with=d.get("bundled_with", []),
    )  # fmt: skip


def _receipt(d: dict[str, Any], receipt: dict[str, Any]) -> dict[str, Any]:
    """A provider's later word on the message it accepted, listed after the attempts: delivered, or not and why."""
    return {"provider": d.get("provider"), "outcome": receipt["status"], "error": receipt.get("error_code"),
            "at": receipt["at"]}  # fmt: skip


@router.get(
    "",
    response_model=Page[NotificationPublic],
    summary="Notifications with their deliveries, newest first, a page at a time",
)
async def list_notifications(
    request: Request,
    _: Staff,
    deps: DepsDep,
    incident_id: Identifier | None = None,
    visit_id: Identifier | None = None,
    engineer_id: Identifier | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: PageCursor = None,
    total: WantTotal = False,
) -> Page[NotificationPublic]:
    asked = {"incident_id": incident_id, "visit_id": visit_id, "engineer_id": engineer_id}
    filters = {k: v for k, v in asked.items() if v}
    items, after = await deps.notifications.search(filters, limit, cursor_of(cursor))
    deliveries: dict[str, list[DeliveryPublic]] = {}
    for d in await deps.sends.of_notifications([n["_id"] for n in items]):
        deliveries.setdefault(d["notification_id"], []).append(_delivery(d))
    return Page[NotificationPublic](
        items=[model_of(NotificationPublic, n, id_as="notification_id", deliveries=deliveries.get(n["_id"], []))
               for n in items],
        total=await bounded_count(deps.notifications.collection, filters) if total else None,
        next=next_link(request, after),
    )  # fmt: skip
