"""Queue one e-mail for one of a hospital's contacts, once per notice and address, with its one send.

The message goes through the same notification log and dispatcher as an engineer's, on the `email` channel: its id
follows from the notice and the address, so a notice told again adds nothing. The delivery log shows the text with
the link masked (the link is the hospital's credential); the e-mail itself carries it whole. A text that seems to
name a patient is refused, as every message is.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pacs_contracts.events import HospitalNotice
from pacs_kit.documents import Document
from pacs_kit.tracing import inject_context
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.guard import patient_identifiers
from pacs_notify.domain.hospital import EMAIL, notice_mail, without_link
from pacs_notify.domain.messages import new_notification

log = logging.getLogger(__name__)
NOTICE = "notice"  # the kind of a hospital's message: sent at once, nothing to acknowledge


async def mail(tx: Tx, deps: NotifyDeps, notice: HospitalNotice, contact: dict[str, Any], site: Document) -> None:
    """Queue the notice's e-mail to `contact`, unless this notice was mailed to this address already."""
    address = contact["email"]
    letter = notice_mail(notice, contact, site["name"], site.get("time_zone") or "UTC")
    now = datetime.now(UTC)
    # the id follows from the notice and the address (in the engineer's place), so the notice told again adds nothing
    notification = new_notification(
        event_key=f"notice:{notice.notice_id}", incident_id=None, visit_id=None, engineer_id=address.lower(),
        reason=notice.type, text=without_link(letter.body, notice.link), channel=EMAIL, now=now,
    )  # fmt: skip
    notification |= {"engineer_id": None, "kind": NOTICE, "locale": contact.get("language", "zh-CN"),
                     "acknowledged_at": None, "ack_url": "", "site_id": notice.site_id, "caused_at": None,
                     "notice_id": notice.notice_id, "topic": notice.topic, "reference": notice.reference,
                     "contact": {"name": contact["name"], "email": address},
                     "mail": {"subject": letter.subject, "body": letter.body},
                     "trace": inject_context(), "correlation_id": tx.correlation_id}  # fmt: skip
    refused = patient_identifiers(f"{letter.subject}\n{without_link(letter.body, notice.link)}")
    if refused:
        notification |= {"status": "refused", "text": "[refused: the text seemed to carry patient identifiers]",
                         "mail": None, "refused": refused}  # fmt: skip
    if not await deps.notifications.add(notification, tx.session):
        return  # this notice was mailed to this address already
    if refused:
        log.warning("notice %s for %s refused: %s", notice.notice_id, notice.site_id, ", ".join(refused))
        for found in refused:
            tx.after_commit.append(deps.metrics.refused.labels(found).inc)
        return
    deps.sends.add_on_commit(tx, {
        "_id": f"{notification['_id']}:0:0", "notification_id": notification["_id"], "incident_id": None,
        "visit_id": None, "engineer_id": None, "channel": EMAIL, "address": address, "step": 0, "repeat": 0,
        "repeat_seconds": None, "due_at": now, "status": "queued", "attempts": [], "created_at": now, "sent_at": None,
    })  # fmt: skip
    tx.after_commit.append(deps.dispatch.ring)
