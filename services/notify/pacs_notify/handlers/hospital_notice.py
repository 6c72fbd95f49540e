"""A notice for a hospital goes by e-mail to each of the site's named contacts who look after its role, once each,
in their language. The link in it is a credential: a log line shows only its mask."""

import logging
from datetime import UTC, datetime

from pacs_contracts.events import HospitalNotice
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.hospital import recipients, shown
from pacs_notify.usecases.mail import mail

log = logging.getLogger(__name__)


async def handle(event: HospitalNotice, *, tx: Tx, deps: NotifyDeps) -> None:
    if event.link and event.expires_at is not None and event.expires_at <= datetime.now(UTC):
        # heard too late (a long outage, a replayed dead letter): a link that no longer works only confuses
        log.warning("notice %s for %s not mailed: its link expired at %s", event.notice_id, event.site_id,
                    event.expires_at.isoformat())  # fmt: skip
        return
    site = await deps.sites.get(event.site_id, tx.session)
    if site is None:  # retried, then dead-lettered: replayed once site.registered has come
        raise LookupError(f"notice {event.notice_id} is for site {event.site_id}, which notify does not know yet")
    told = recipients(site.get("contacts") or [], event.role, event.contact)
    if not told:
        log.warning("nobody at %s to tell of %s (%s, link %s): no contact looks after %s", event.site_id,
                    event.notice_id, event.topic, shown(event.link) if event.link else "none", event.role)  # fmt: skip
    for contact in told:
        await mail(tx, deps, event, contact, site)
