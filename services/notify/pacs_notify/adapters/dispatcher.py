"""Sends queued notifications; a queued one survives a crash and is sent after restart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pacs_contracts.events import NotificationSent
from pacs_kit.loop import WorkLoop
from pacs_kit.uow import Tx

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_notify.deps import NotifyDeps

BATCH = 100


class Dispatcher:
    def __init__(self, poll_seconds: float = 1.0) -> None:
        self.poll_seconds = poll_seconds
        self._loop: WorkLoop | None = None

    def wake(self) -> None:
        if self._loop is not None:
            self._loop.wake()

    async def run(self, kit: Kit, deps: NotifyDeps) -> None:
        async def step() -> bool:
            return await self.send_queued(kit, deps) >= BATCH

        self._loop = WorkLoop("notification dispatch", step, self.poll_seconds)
        await self._loop.run()

    async def send_queued(self, kit: Kit, deps: NotifyDeps) -> int:
        """Send one batch, then record it; a crash between the two means a resend, never a loss."""
        queued = await deps.notifications.queued(limit=BATCH)
        if not queued:
            return 0
        engineers = await deps.engineers.get_many({n["engineer_id"] for n in queued})
        sent: list[tuple[dict[str, Any], datetime]] = []
        for notification in queued:
            await deps.channel.send(notification, engineers.get(notification["engineer_id"]))
            sent.append((notification, datetime.now(UTC)))
        await kit.uow.run(_recorder(deps, sent))
        return len(queued)


def _recorder(deps: NotifyDeps, sent: list[tuple[dict[str, Any], datetime]]) -> Any:
    async def record(tx: Tx) -> None:
        await deps.notifications.mark_sent([(n["_id"], at) for n, at in sent], tx.session)
        for notification, at in sent:
            await tx.emit(
                NotificationSent(
                    notification_id=notification["_id"],
                    incident_id=notification["incident_id"],
                    engineer_id=notification["engineer_id"],
                    channel=notification["channel"],
                    sent_at=at,
                ),
                correlation_id=notification["incident_id"],
            )

    return record
