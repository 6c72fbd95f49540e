"""The state of one rule on one host, and how an observation moves it. Pure.

ok → pending (while its `for` runs) → firing → ok. A transition the bus was told of is a flip;
a rule that flipped `flap_transitions` times within `flap_window` is flapping, and while it flaps a
recovery is told only once the value has stayed calm for a whole window, so a value dancing on
the line pages a few times rather than every few minutes. The flips kept quiet while it flaps
still count, so it stays flapping for as long as it dances.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from pacs_contracts.common import Severity


class State(StrEnum):
    ok = "ok"
    pending = "pending"
    firing = "firing"


@dataclass(frozen=True)
class Observation:
    """What one sample (or alert, or silence) says about one rule on one host."""

    host: str
    rule: str
    problem_class: str
    severity: Severity
    value: float
    threshold: float
    firing: bool | None  # True: breached; False: clear; None: between the thresholds, no news
    for_seconds: float = 0.0  # how long a breach must hold before it fires
    record_only: bool = False  # kept for the estate view, never published
    flap_window: float = 1800.0  # seconds over which flips are counted
    flap_transitions: int = 4  # flips within the window that make it flapping
    exhausted_at: datetime | None = None  # capacity forecasts: when the capacity is predicted to run out


@dataclass(frozen=True)
class RuleState:
    state: State = State.ok
    announced: bool = True  # whether the bus was told of the current state
    pending_since: datetime | None = None
    calm_since: datetime | None = None  # firing while flapping, but calm since then
    flips: tuple[datetime, ...] = field(default_factory=tuple)  # told transitions, newest last

    def flapping(self, now: datetime, seen: Observation) -> bool:
        return len(self.recent_flips(now, seen.flap_window)) >= seen.flap_transitions

    def recent_flips(self, now: datetime, window: float) -> tuple[datetime, ...]:
        return tuple(t for t in self.flips if now - t < timedelta(seconds=window))


class Outcome(StrEnum):
    breach = "breaches"  # told: metric.breached
    recovery = "recoveries"  # told: metric.recovered
    held = "held"  # a breach kept quiet by a maintenance window
    recorded = "recorded"  # a breach of a record-only rule
    quiet = "quiet"  # the state moved, nobody is told (pending, damped, between thresholds)


@dataclass(frozen=True)
class Step:
    state: RuleState
    outcome: Outcome

    @property
    def tell(self) -> bool:
        return self.outcome in (Outcome.breach, Outcome.recovery)


def step(saved: RuleState, seen: Observation, now: datetime, held: bool) -> Step | None:
    """The next state of a rule after an observation; None when nothing changes."""
    current = saved.state
    if seen.firing:
        if current is State.ok and seen.for_seconds > 0:
            return Step(replace(saved, state=State.pending, pending_since=now, calm_since=None), Outcome.quiet)
        ripe = current is State.pending and (now - (saved.pending_since or now)).total_seconds() >= seen.for_seconds
        if current is State.ok or ripe:
            return _fire(saved, seen, now, held)
        if current is State.firing and not (saved.announced or held or seen.record_only):
            return _fire(saved, seen, now, held)  # held through a maintenance window, still firing after it
        if current is State.firing and saved.calm_since is not None:  # not calm after all: still flapping
            return Step(replace(saved, calm_since=None, flips=_flip(saved, now, seen)), Outcome.quiet)
        return None
    if seen.firing is None:
        if current is State.firing and not (saved.announced or held or seen.record_only):
            return _fire(saved, seen, now, held)
        return None
    if current is State.pending:
        return Step(replace(saved, state=State.ok, pending_since=None), Outcome.quiet)
    if current is not State.firing:
        return None
    told = saved.announced and not seen.record_only
    if told and saved.flapping(now, seen):
        calm_since = saved.calm_since or now
        if (now - calm_since).total_seconds() < seen.flap_window:
            if saved.calm_since:
                return None
            return Step(replace(saved, calm_since=calm_since, flips=_flip(saved, now, seen)), Outcome.quiet)
    flips = _flip(saved, now, seen) if told else saved.flips
    ok = RuleState(State.ok, announced=True, flips=flips)
    return Step(ok, Outcome.recovery if told else Outcome.quiet)


def _fire(saved: RuleState, seen: Observation, now: datetime, held: bool) -> Step:
    if seen.record_only:
        return Step(replace(saved, state=State.firing, announced=True, pending_since=None), Outcome.recorded)
    if held:
        return Step(replace(saved, state=State.firing, announced=False, pending_since=None), Outcome.held)
    firing = RuleState(State.firing, announced=True, flips=_flip(saved, now, seen))
    return Step(firing, Outcome.breach)


def _flip(saved: RuleState, now: datetime, seen: Observation) -> tuple[datetime, ...]:
    return (*saved.recent_flips(now, seen.flap_window), now)
