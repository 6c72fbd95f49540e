"""Queue one message for one engineer, once per event key, with its sends; shared by the handlers.

Every message carries its own acknowledge link. Its sends follow the engineer's rules (domain/plan.py): on-call
messages at any hour, information-only ones in office hours. A text that seems to name a patient is refused:
recorded as refused (without the text) and counted, never sent. The message keeps the correlation id of the event
that raised it, which its `notification.sent` and its acknowledgement carry on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pacs_contracts.api import Contacts
from pacs_kit.documents import model_of
from pacs_kit.tracing import inject_context
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.ack import new_token, reply_code
from pacs_notify.domain.guard import patient_identifiers
from pacs_notify.domain.messages import ack_line, new_notification
from pacs_notify.domain.plan import ONCALL, channel_of, steps

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Notice:
    """What one engineer is to be told: about an incident or a PM visit (one of the two), once per `key`.

    `text` renders the message in the engineer's language; `caused_at` times its first message; a message that asks
    nothing of its reader (`ask_ack=False`) carries no acknowledge link."""

    engineer_id: str
    key: str
    reason: str
    text: Callable[[str], str]
    incident_id: str | None = None
    visit_id: str | None = None
    kind: str = ONCALL
    site_id: str = ""
    caused_at: datetime | None = None
    ask_ack: bool = True

    def __post_init__(self) -> None:
        if (self.incident_id is None) == (self.visit_id is None):
            raise ValueError("a notice is about an incident or a PM visit, one of the two")

    @property
    def about(self) -> str:
        return self.incident_id or self.visit_id or ""


async def tell(tx: Tx, deps: NotifyDeps, notice: Notice) -> None:
    """Queue the notice's message with its sends and acknowledge link, unless its key was told already."""
    engineer_id = notice.engineer_id
    # read once for all the messages of a batch to this engineer (a storm's are many)
    engineer = await tx.read_once(("engineer", engineer_id), lambda: deps.engineers.get(engineer_id, tx.session))
    stored = await tx.read_once(("contacts", engineer_id), lambda: deps.contacts.get(engineer_id, tx.session))
    contacts = model_of(Contacts, stored) if stored else None
    locale = (contacts and contacts.locale) or (engineer["locale"] if engineer else "en")
    token, code = new_token(deps.ack_key), reply_code()
    ask_ack = notice.ask_ack
    ack_url = f"{deps.settings.public_url.rstrip('/')}/ack/{token}" if ask_ack else ""
    body = notice.text(locale) + (ack_line(locale, ack_url, code) if ask_ack else "")
    now = datetime.now(UTC)
    subject = {"incident_id": notice.incident_id, "visit_id": notice.visit_id}
    notification = new_notification(event_key=notice.key, **subject, engineer_id=engineer_id, reason=notice.reason,
                                    text=body, channel=channel_of(contacts), now=now)  # fmt: skip
    notification |= {"kind": notice.kind, "locale": locale, "acknowledged_at": None, "ack_url": ack_url,
                     "site_id": notice.site_id, "caused_at": notice.caused_at, "trace": inject_context(),
                     "correlation_id": tx.correlation_id}  # fmt: skip
    refused = patient_identifiers(body)
    if refused:
        notification |= {"status": "refused", "text": "[refused: the text seemed to carry patient identifiers]",
                         "refused": refused}  # fmt: skip
    if not await deps.notifications.add(notification, tx.session):
        return  # this event was told already
    if refused:
        log.warning("message %s for %s refused: %s", notification["_id"], notice.about, ", ".join(refused))
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
                **subject,
                "engineer_id": engineer_id,
                "code": code,
                "expires_at": expires,
                "used_at": None,
                "correlation_id": tx.correlation_id,
            },
        )
    for send in [{
        "_id": f"{notification['_id']}:{step.index}:0", "notification_id": notification["_id"], **subject,
        "engineer_id": engineer_id, "channel": step.channel, "step": step.index, "repeat": 0,
        "repeat_seconds": step.repeat.total_seconds() if step.repeat else None, "due_at": step.due_at,
        "status": "queued", "attempts": [], "created_at": now, "sent_at": None,
    } for step in steps(contacts, notice.kind, now)]:  # fmt: skip
        deps.sends.add_on_commit(tx, send)
    tx.after_commit.append(deps.dispatch.ring)
