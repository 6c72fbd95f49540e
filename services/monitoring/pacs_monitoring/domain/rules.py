"""Threshold rules with hysteresis, evaluated on plain values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pacs_contracts.common import Severity


class State(StrEnum):
    ok = "ok"
    firing = "firing"


class Change(StrEnum):
    none = "none"
    breached = "breached"
    recovered = "recovered"


@dataclass(frozen=True)
class ThresholdRule:
    name: str
    metric: str
    threshold: float
    clear_below: float
    severity: Severity
    problem_class: str


# The first rule of the quarterly check list; the full pack arrives as data with the monitoring issue.
SYSTEM_DISK = ThresholdRule(
    name="system-disk-full",
    metric="disk_used_percent",
    threshold=90.0,
    clear_below=85.0,
    severity=Severity.major,
    problem_class="storage",
)
RULES = (SYSTEM_DISK,)

# (state, value above threshold, value below clear) -> (new state, change)
TABLE: dict[tuple[State, bool, bool], tuple[State, Change]] = {
    (State.ok, True, False): (State.firing, Change.breached),
    (State.firing, False, True): (State.ok, Change.recovered),
}


def evaluate(rule: ThresholdRule, state: State, value: float) -> tuple[State, Change]:
    """The next state for one sample; between the two thresholds nothing changes."""
    key = (state, value >= rule.threshold, value < rule.clear_below)
    return TABLE.get(key, (state, Change.none))


def observe(rule: ThresholdRule, value: float) -> bool | None:
    """True at or above the threshold, False below the clear threshold, None in between (no news)."""
    if value >= rule.threshold:
        return True
    return False if value < rule.clear_below else None
