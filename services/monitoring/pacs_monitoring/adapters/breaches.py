"""Records what an observation says about a (site, host, rule) and tells the bus, once per transition.

Metric samples and Alertmanager alerts both end here. During a maintenance window on the host
(or its whole site) a breach is recorded but held back; one still firing after the window is
told at its next observation; a recovery is told only where its breach was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pacs_contracts.common import Severity
from pacs_contracts.events import MetricBreached, MetricRecovered
from pacs_kit.uow import Tx
from pacs_monitoring.adapters.repository import state_id
from pacs_monitoring.domain.rules import State

if TYPE_CHECKING:
    from pacs_monitoring.deps import MonitoringDeps


@dataclass(frozen=True)
class Observation:
    host: str
    rule: str
    problem_class: str
    severity: Severity
    value: float
    threshold: float
    firing: bool | None  # True: breached; False: clear; None: between the thresholds, no news
    for_seconds: float = 0.0  # how long a breach must hold before it fires
    record_only: bool = False  # kept for the estate view, never published


async def settle(
    site_id: str, observations: list[Observation], now: datetime, tx: Tx, deps: MonitoringDeps
) -> Counter[str]:
    """Apply the newest observation per (host, rule); counts of breaches, recoveries and held breaches."""
    latest = {state_id(site_id, o.host, o.rule): o for o in observations}
    states = await deps.states.for_ids(list(latest), tx.session)
    held_hosts = await deps.maintenance.hosts_held(site_id, tx.session)
    counts: Counter[str] = Counter()
    for sid, seen in latest.items():
        saved = states.get(sid, {})
        current = State(saved.get("state", State.ok))
        announced = saved.get("announced", True)  # whether the bus was told of the current state
        held = None in held_hosts or seen.host in held_hosts
        since = saved.get("pending_since")
        held_for = (now - since).total_seconds() if since is not None else 0.0
        ripe = current is State.pending and held_for >= seen.for_seconds
        if seen.firing and current is State.ok and seen.for_seconds > 0:
            tell, new_state = False, State.pending  # it must hold for a while first
        elif seen.firing and (current is State.ok or ripe):
            tell, new_state = not held and not seen.record_only, State.firing
            counts["breaches" if tell else "held" if held else "recorded"] += 1
        elif current is State.firing and seen.firing is not False and not (announced or held or seen.record_only):
            # held through a maintenance window and still firing now that it is over: told now
            tell, new_state = True, State.firing
            counts["breaches"] += 1
        elif seen.firing is False and current in (State.firing, State.pending):
            tell, new_state = current is State.firing and announced and not seen.record_only, State.ok
            counts["recoveries"] += tell  # a recovery is news only where the breach was
        else:
            continue
        await deps.states.save({
            "_id": sid, "site_id": site_id, "host": seen.host, "rule": seen.rule, "state": new_state.value,
            "announced": tell or new_state is not State.firing, "value": seen.value, "changed_at": now,
            "pending_since": now if new_state is State.pending else None,
        }, tx.session)  # fmt: skip
        if tell:
            await tx.emit(_event(site_id, seen, now), correlation_id=sid)
    return counts


def _event(site_id: str, seen: Observation, now: datetime) -> MetricBreached | MetricRecovered:
    if seen.firing:
        return MetricBreached(
            site_id=site_id, host=seen.host, rule=seen.rule, problem_class=seen.problem_class,
            severity=seen.severity, value=seen.value, threshold=seen.threshold, breached_at=now,
        )  # fmt: skip
    return MetricRecovered(site_id=site_id, host=seen.host, rule=seen.rule, value=seen.value, recovered_at=now)
