"""Who is told what, beyond the incident's owner: SLA breaches, PM visits, acknowledgements, sites.

Escalation decides who owns an incident; notify decides how to reach people: `sla.breached` goes
to the supervisors of the site's region (on call), `pm.due` to the engineer named in it
(information: in office hours). An incident acknowledged anywhere (the app, or a link) stops the
remaining steps and repeats of its messages.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pacs_contracts.events import IncidentAcknowledged, PmDue, SiteRegistered, SlaBreached
from pacs_kit.uow import Tx
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.messages import pm_due_text, sla_breached_text
from pacs_notify.domain.plan import INFO
from pacs_notify.handlers.tell import tell

log = logging.getLogger(__name__)


async def site_registered(event: SiteRegistered, *, tx: Tx, deps: NotifyDeps) -> None:
    site = {"_id": event.site_id, "name": event.name, "region": event.region, "time_zone": event.time_zone,
            "account_engineer_id": event.account_engineer_id}  # fmt: skip
    await deps.sites.upsert(site, tx.session)


async def sla_breached(event: SlaBreached, *, tx: Tx, deps: NotifyDeps) -> None:
    site = await deps.sites.get(event.site_id, tx.session)
    supervisors = await deps.engineers.supervisors(site["region"] if site else None, tx.session)
    if not supervisors:
        log.warning("nobody to tell of the %s breach on %s: no supervisor for its region", event.clock,
                    event.incident_id)  # fmt: skip
    for supervisor in supervisors:
        await tell(tx, deps, incident_id=event.incident_id, engineer_id=supervisor,
                   key=f"{event.incident_id}:breached:{event.clock}", reason=event.type,
                   text=lambda locale: sla_breached_text(event, locale), site_id=event.site_id)  # fmt: skip


async def pm_due(event: PmDue, *, tx: Tx, deps: NotifyDeps) -> None:
    await tell(tx, deps, incident_id=event.visit_id, engineer_id=event.engineer_id, key=f"{event.visit_id}:due",
               reason=event.type, text=lambda locale: pm_due_text(event, locale), kind=INFO,
               site_id=event.site_id)  # fmt: skip


async def incident_acknowledged(event: IncidentAcknowledged, *, tx: Tx, deps: NotifyDeps) -> None:
    waiting = await deps.notifications.open_for_incident(event.incident_id, tx.session)
    if waiting:
        await deps.notifications.acknowledge(waiting, datetime.now(UTC), tx.session)
        await deps.deliveries.skip_for(waiting, tx.session)
