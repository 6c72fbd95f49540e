"""Queue one message for one engineer, once per event key; shared by the incident handlers."""

from collections.abc import Callable
from datetime import UTC, datetime

from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import new_notification


async def tell(
    tx: Tx, deps: NotifyDeps, *, incident_id: str, engineer_id: str, key: str, reason: str, text: Callable[[str], str]
) -> None:
    """`text` renders the message in the engineer's language."""
    engineer = await deps.engineers.get(engineer_id, tx.session)
    notification = new_notification(
        event_key=key,
        incident_id=incident_id,
        engineer_id=engineer_id,
        reason=reason,
        text=text(engineer["locale"] if engineer else "en"),
        channel=deps.channel.name,
        now=datetime.now(UTC),
    )
    if await deps.notifications.add(notification, tx.session):
        tx.after_commit.append(deps.dispatcher.wake)
