"""A breach found by remote monitoring opens an incident before the hospital calls, or adds to the open one."""

from datetime import UTC, datetime

from pacs_contracts.events import MetricBreached
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain import incident as incidents
from pacs_kit.uow import Tx


async def handle(event: MetricBreached, *, tx: Tx, deps: EscalationDeps) -> None:
    now = datetime.now(UTC)
    key = incidents.problem_key(event.site_id, event.problem_class)
    # a storm's breaches of one problem come in one batch: the open incident is read (or opened) once
    existing = await tx.read_once(("problem", key), lambda: deps.incidents.open_problem(key, tx.session))
    if existing is not None:
        deps.incidents.record_occurrence_on_commit(tx, existing["_id"], incidents.breach_entry(event, now))
        return
    site = await tx.read_once(("site", event.site_id), lambda: deps.sites.get(event.site_id, tx.session))
    if site is None:
        raise LookupError(f"breach {event.rule} names unknown site {event.site_id}")
    incident = incidents.open_from_breach(event, site, now)
    await deps.incidents.add(incident, tx.session)
    tx.memo[("problem", key)] = incident
    await tx.emit(incidents.opened_event(incident), correlation_id=incident["_id"])
