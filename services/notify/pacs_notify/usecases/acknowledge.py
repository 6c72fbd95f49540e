"""Spending acknowledge tokens, from a link or an SMS reply: once each, in one transaction with the event."""

from __future__ import annotations

from datetime import datetime

from pacs_contracts.events import NotificationAcknowledged
from pacs_kit.service import Kit
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps


async def spend(kit: Kit, deps: NotifyDeps, tokens: list[str], now: datetime) -> list[str]:
    """Use the tokens still unused and unexpired; what they acknowledged, an incident or a PM visit each (nothing for
    the rest). An incident's acknowledgement goes to escalation under the correlation id its message was raised
    with; a visit's only stops its message."""

    async def work(tx: Tx) -> list[str]:
        acknowledged: list[str] = []
        for token in tokens:
            spent = await deps.acks.use(token, now, tx.session)
            if spent is None:
                continue
            await deps.notifications.acknowledge([spent["notification_id"]], now, tx.session)
            await deps.sends.skip_for([spent["notification_id"]], tx.session)  # no more steps or repeats
            incident_id = spent.get("incident_id")
            if incident_id is not None:
                await tx.emit(NotificationAcknowledged(
                    notification_id=spent["notification_id"], incident_id=incident_id,
                    engineer_id=spent["engineer_id"], acknowledged_at=now,
                ), correlation_id=spent.get("correlation_id") or incident_id)  # fmt: skip
            acknowledged.append(incident_id or spent["visit_id"])
        return acknowledged

    done: list[str] = await kit.uow.run(work)
    return done
