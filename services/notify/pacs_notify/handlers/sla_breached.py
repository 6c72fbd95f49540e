"""Escalation decides who owns an incident; notify decides who else hears of it: `sla.breached` goes to the
supervisors of the site's region, on call."""

import logging

from pacs_contracts.events import SlaBreached
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import sla_breached_text
from pacs_notify.usecases.tell import Notice, tell

log = logging.getLogger(__name__)


async def handle(event: SlaBreached, *, tx: Tx, deps: NotifyDeps) -> None:
    site = await deps.sites.get(event.site_id, tx.session)
    supervisors = await deps.engineers.supervisors(site["region"] if site else None, tx.session)
    if not supervisors:
        log.warning("nobody to tell of the %s breach on %s: no supervisor for its region", event.clock,
                    event.incident_id)  # fmt: skip
    for supervisor in supervisors:
        await tell(tx, deps, Notice(
            incident_id=event.incident_id, engineer_id=supervisor, key=f"{event.incident_id}:breached:{event.clock}",
            reason=event.type, text=lambda locale: sla_breached_text(event, locale), site_id=event.site_id,
        ))  # fmt: skip
