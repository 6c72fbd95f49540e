"""Spending acknowledge tokens, from a link or an SMS reply: once each, in one transaction with the event."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pacs_contracts.events import NotificationAcknowledged
from pacs_kit.uow import Tx

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_notify.deps import NotifyDeps


async def spend(kit: Kit, deps: NotifyDeps, tokens: list[str], now: datetime) -> list[str]:
    """Use the tokens still unused and unexpired; the incidents they acknowledged (none for the rest)."""

    async def work(tx: Tx) -> list[str]:
        incidents: list[str] = []
        for token in tokens:
            spent = await deps.acks.use(token, now, tx.session)
            if spent is None:
                continue
            await deps.notifications.acknowledge([spent["notification_id"]], now, tx.session)
            await deps.deliveries.skip_for([spent["notification_id"]], tx.session)  # no more steps or repeats
            await tx.emit(NotificationAcknowledged(
                notification_id=spent["notification_id"], incident_id=spent["incident_id"],
                engineer_id=spent["engineer_id"], acknowledged_at=now,
            ), correlation_id=spent["incident_id"])  # fmt: skip
            incidents.append(spent["incident_id"])
        return incidents

    done: list[str] = await kit.uow.run(work)
    return done
