"""Queue one message for one engineer, once per event key; shared by the incident handlers.

Every message carries its own acknowledge link. A text that seems to name a patient is refused:
recorded as refused (without the text) and counted, never queued for sending.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.ack import new_token
from pacs_notify.domain.guard import patient_identifiers
from pacs_notify.domain.messages import ack_line, new_notification

log = logging.getLogger(__name__)


async def tell(
    tx: Tx, deps: NotifyDeps, *, incident_id: str, engineer_id: str, key: str, reason: str, text: Callable[[str], str]
) -> None:
    """`text` renders the message in the engineer's language."""
    engineer = await deps.engineers.get(engineer_id, tx.session)
    locale = engineer["locale"] if engineer else "en"
    token = new_token(deps.ack_key)
    body = text(locale) + ack_line(locale, f"{deps.settings.public_url.rstrip('/')}/ack/{token}")
    now = datetime.now(UTC)
    notification = new_notification(event_key=key, incident_id=incident_id, engineer_id=engineer_id, reason=reason,
                                    text=body, channel=deps.channel.name, now=now)  # fmt: skip
    refused = patient_identifiers(body)
    if refused:
        notification |= {"status": "refused", "text": "[refused: the text seemed to carry patient identifiers]",
                         "refused": refused}  # fmt: skip
    if not await deps.notifications.add(notification, tx.session):
        return  # this event was told already
    if refused:
        log.warning("message %s for incident %s refused: %s", notification["_id"], incident_id, ", ".join(refused))
        for kind in refused:
            tx.after_commit.append(deps.refused.labels(kind).inc)
        return
    expires = now + timedelta(seconds=deps.settings.ack_ttl_seconds)
    await deps.acks.add({"_id": token, "notification_id": notification["_id"], "incident_id": incident_id,
                         "engineer_id": engineer_id, "expires_at": expires, "used_at": None}, tx.session)  # fmt: skip
    tx.after_commit.append(deps.dispatcher.wake)
