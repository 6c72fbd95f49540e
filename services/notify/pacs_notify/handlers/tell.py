"""Queue one message for one engineer, once per event key, with its deliveries; shared by the handlers.

Every message carries its own acknowledge link. Its deliveries follow the engineer's rules
(domain/plan.py): on-call messages at any hour, information-only ones in office hours. A text that
seems to name a patient is refused: recorded as refused (without the text) and counted, never sent.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pacs_contracts.api import Contacts
from pacs_kit.mongo import model_of
from pacs_kit.tracing import inject_context
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.ack import new_token, reply_code
from pacs_notify.domain.guard import patient_identifiers
from pacs_notify.domain.messages import ack_line, new_notification
from pacs_notify.domain.plan import ONCALL, steps

log = logging.getLogger(__name__)


async def tell(
    tx: Tx, deps: NotifyDeps, *, incident_id: str, engineer_id: str, key: str, reason: str,
    text: Callable[[str], str], kind: str = ONCALL, site_id: str = "", caused_at: datetime | None = None,
    ask_ack: bool = True,
) -> None:  # fmt: skip
    """`text` renders the message in the engineer's language; `caused_at` times its first message; a message
    that asks nothing of its reader (`ask_ack=False`) carries no acknowledge link."""
    # read once for all the messages of a batch to this engineer (a storm's are many)
    engineer = await tx.read_once(("engineer", engineer_id), lambda: deps.engineers.get(engineer_id, tx.session))
    stored = await tx.read_once(("contacts", engineer_id), lambda: deps.contacts.get(engineer_id, tx.session))
    contacts = model_of(Contacts, stored) if stored else None
    locale = (contacts and contacts.locale) or (engineer["locale"] if engineer else "en")
    token, code = new_token(deps.ack_key), reply_code()
    ack_url = f"{deps.settings.public_url.rstrip('/')}/ack/{token}" if ask_ack else ""
    body = text(locale) + (ack_line(locale, ack_url, code) if ask_ack else "")
    now = datetime.now(UTC)
    notification = new_notification(event_key=key, incident_id=incident_id, engineer_id=engineer_id, reason=reason,
                                    text=body, channel=deps.channel_of(contacts), now=now)  # fmt: skip
    notification |= {"kind": kind, "locale": locale, "acknowledged_at": None, "ack_url": ack_url, "site_id": site_id,
                     "caused_at": caused_at, "trace": inject_context()}  # fmt: skip
    refused = patient_identifiers(body)
    if refused:
        notification |= {"status": "refused", "text": "[refused: the text seemed to carry patient identifiers]",
                         "refused": refused}  # fmt: skip
    if not await deps.notifications.add(notification, tx.session):
        return  # this event was told already
    if refused:
        log.warning("message %s for incident %s refused: %s", notification["_id"], incident_id, ", ".join(refused))
        for found in refused:
            tx.after_commit.append(deps.metrics.refused.labels(found).inc)
        return
    expires = now + timedelta(seconds=deps.settings.ack_ttl_seconds)
    if ask_ack:  # inserted with the batch's others as it commits: one round trip each for every message of the batch
        deps.acks.add_on_commit(
            tx,
            {
                "_id": token,
                "notification_id": notification["_id"],
                "incident_id": incident_id,
                "engineer_id": engineer_id,
                "code": code,
                "expires_at": expires,
                "used_at": None,
            },
        )
    for delivery in [{
        "_id": f"{notification['_id']}:{step.index}:0", "notification_id": notification["_id"],
        "incident_id": incident_id, "engineer_id": engineer_id, "channel": step.channel, "step": step.index,
        "repeat": 0, "repeat_seconds": step.repeat.total_seconds() if step.repeat else None, "due_at": step.due_at,
        "status": "queued", "attempts": [], "created_at": now, "sent_at": None,
    } for step in steps(contacts, kind, now)]:  # fmt: skip
        deps.deliveries.add_on_commit(tx, delivery)
    tx.after_commit.append(deps.dispatcher.wake)
