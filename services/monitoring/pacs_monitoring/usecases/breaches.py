"""Records what observations say about each (site, host, rule) and tells the bus, once per transition.

Metric samples, DICOM probes, Alertmanager alerts and link silences all end here. The decision is
the pure `step` (domain/rules.py); this module reads the states that matter, writes the ones that
moved, and emits the events, all in the caller's transaction. During a maintenance window on the
host (or its whole site) a breach is recorded but held back; one still firing after the window is
told at its next observation; a recovery is told only where its breach was.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from pacs_contracts.events import MetricBreached, MetricRecovered
from pacs_kit.uow import Tx
from pacs_monitoring.adapters.repository import state_id
from pacs_monitoring.domain.rules import Observation, Outcome, RuleState, State, step

if TYPE_CHECKING:
    from pacs_monitoring.deps import MonitoringDeps


async def settle(
    site_id: str, observations: list[Observation], now: datetime, tx: Tx, deps: MonitoringDeps
) -> Counter[str]:
    """Apply the newest observation per (host, rule); counts of each outcome (breaches, recoveries, held...)."""
    latest = {state_id(site_id, o.host, o.rule): o for o in observations}
    saved = await deps.states.hot(site_id, now, tx.session)  # every state that is not a calm, settled ok
    held_hosts = await deps.maintenance.hosts_held(site_id, tx.session)
    counts: Counter[str] = Counter()
    moved: list[tuple[str, Observation, RuleState]] = []
    for sid, seen in latest.items():
        before = saved.get(sid, RuleState())
        moved_to = step(before, seen, now, held=None in held_hosts or seen.host in held_hosts)
        if moved_to is None:
            continue
        counts[moved_to.outcome.value] += 1
        moved.append((sid, seen, moved_to.state))
        if moved_to.tell:
            await tx.emit(_event(site_id, seen, now, moved_to.outcome), correlation_id=sid)
    await deps.states.save_all(site_id, moved, now, tx.session)
    return counts


async def retire(site_id: str, host: str, now: datetime, tx: Tx, deps: MonitoringDeps) -> int:
    """Forget every rule state of a host no longer watched; a breach that was told is closed with a recovery."""
    docs = await deps.states.collection.find({"site_id": site_id, "host": host}, session=tx.session).to_list()
    for doc in docs:
        if doc["state"] == State.firing.value and doc.get("announced", True):
            closed = MetricRecovered(site_id=site_id, host=host, rule=doc["rule"], value=doc["value"], recovered_at=now)
            await tx.emit(closed, correlation_id=doc["_id"])
    await deps.states.collection.delete_many({"_id": {"$in": [d["_id"] for d in docs]}}, session=tx.session)
    return len(docs)


def _event(site_id: str, seen: Observation, now: datetime, outcome: Outcome) -> MetricBreached | MetricRecovered:
    if outcome is Outcome.breach:
        return MetricBreached(
            site_id=site_id, host=seen.host, rule=seen.rule, problem_class=seen.problem_class,
            severity=seen.severity, value=seen.value, threshold=seen.threshold, breached_at=now,
            exhausted_at=seen.exhausted_at,
        )  # fmt: skip
    return MetricRecovered(site_id=site_id, host=seen.host, rule=seen.rule, value=seen.value, recovered_at=now)
