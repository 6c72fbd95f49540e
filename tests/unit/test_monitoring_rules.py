"""The breach state machine, rule overrides and capacity forecasts: pure, no broker or database."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from pacs_contracts.common import Severity
from pacs_monitoring.domain.forecast import predict, verdict
from pacs_monitoring.domain.pack import PackError, Rule, default_pack, parse_override, resolve
from pacs_monitoring.domain.rules import Observation, Outcome, RuleState, State, step

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
CPU = Rule.model_validate({"name": "cpu", "metric": "cpu", "op": ">=", "threshold": 90, "clear": 75,
                           "severity": "minor", "problem_class": "load"})  # fmt: skip


def variant(**changes: object) -> Rule:
    return Rule.model_validate(CPU.model_dump(by_alias=True) | changes)


def run(rule: Rule, values: list[tuple[float, float]], held: set[float] | None = None) -> list[tuple[float, str]]:
    """Feed (seconds after T0, value) observations; the told or held outcomes, with their time."""
    state, seen = RuleState(), []
    for at, value in values:
        moved = step(state, rule.observation("h1", value), T0 + timedelta(seconds=at), held=at in (held or set()))
        if moved is not None:
            state = moved.state
            if moved.outcome is not Outcome.quiet:
                seen.append((at, moved.outcome.value))
    return seen


def test_a_threshold_crossing_breaches_once_and_a_calm_value_recovers_once() -> None:
    assert run(CPU, [(0, 50), (10, 95), (20, 97), (30, 99), (40, 60), (50, 50)]) == [
        (10, "breaches"), (40, "recoveries")]  # fmt: skip


def test_hysteresis_a_value_between_clear_and_threshold_changes_nothing() -> None:
    assert run(CPU, [(0, 95), (10, 80), (20, 89), (30, 76), (40, 74)]) == [(0, "breaches"), (40, "recoveries")]


def test_a_for_duration_must_hold_before_a_breach_is_told() -> None:
    slow = variant(**{"for": "PT5M"})
    assert run(slow, [(0, 95), (120, 95), (200, 60), (210, 95), (400, 95), (510, 95)]) == [(510, "breaches")]


def test_the_direction_of_a_rule_is_honoured() -> None:
    fan = Rule.model_validate({"name": "fan", "metric": "fan_ok", "op": "<=", "threshold": 0, "clear": 1,
                               "severity": "major", "problem_class": "hw"})  # fmt: skip
    assert run(fan, [(0, 1), (10, 0), (20, 1)]) == [(10, "breaches"), (20, "recoveries")]


def test_a_flapping_rule_pages_a_few_times_then_waits_for_a_calm_window_to_recover() -> None:
    flappy = variant(flap_window="PT10M", flap_transitions=4)
    dance = [(i * 30.0, 95.0 if i % 2 == 0 else 60.0) for i in range(20)]  # flips every 30 s for 10 minutes
    told = run(flappy, dance)
    assert [o for _, o in told] == ["breaches", "recoveries", "breaches", "recoveries", "breaches"]
    calm = run(flappy, [*dance, (630, 60), (1000, 60), (1100, 60), (1300, 60)])
    # calm from 570 s; it recovers once fewer than four flips remain in the last ten minutes
    assert calm[5:] == [(1100, "recoveries")]


def test_a_breach_during_maintenance_is_held_and_told_if_it_outlasts_the_window() -> None:
    assert run(CPU, [(0, 95), (10, 95)], held={0}) == [(0, "held"), (10, "breaches")]
    assert run(CPU, [(0, 95), (10, 60)], held={0}) == [(0, "held")]  # recovered inside: nobody hears of either


def test_a_record_only_rule_never_tells_the_bus() -> None:
    waits = variant(record_only=True)
    assert run(waits, [(0, 95), (10, 60)]) == [(0, "recorded")]


def test_pending_clears_quietly() -> None:
    slow = variant(**{"for": "PT5M"})
    moved = step(RuleState(), slow.observation("h1", 95), T0, held=False)
    assert moved is not None and moved.state.state is State.pending and not moved.tell
    cleared = step(moved.state, slow.observation("h1", 50), T0 + timedelta(seconds=60), held=False)
    assert cleared is not None and cleared.state.state is State.ok and not cleared.tell


BASE = default_pack()[1]


def test_a_site_override_changes_only_the_fields_it_names_and_may_add_or_disable_rules() -> None:
    text = ("rules:\n"
            "  - {name: system-disk-full, threshold: 95, clear: 90}\n"
            "  - {name: log-volume, enabled: false}\n"
            "  - {name: scanner-queue, metric: worklist_queue, op: '>=', threshold: 500, clear: 100,"
            " severity: minor, problem_class: worklist}\n")  # fmt: skip
    pack = parse_override(text, BASE)
    rules = {r.name: r for r in pack.rules}
    assert rules["system-disk-full"].threshold == 95 and rules["system-disk-full"].labels == {"mount": "/"}
    assert "log_used_percent" not in pack.by_metric or not pack.by_metric["log_used_percent"][0]
    assert rules["scanner-queue"].metric == "worklist_queue"
    assert len(pack.rules) == len(BASE.rules) + 1


def test_a_host_override_applies_on_top_of_the_sites() -> None:
    base_text = default_pack()[0]
    site = "rules:\n  - {name: system-disk-full, threshold: 95, clear: 90}\n"
    host = "rules:\n  - {name: system-disk-full, for: PT1H}\n"
    rule = next(r for r in resolve(base_text, site, host).rules if r.name == "system-disk-full")
    assert (rule.threshold, rule.for_seconds) == (95, 3600)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  - {name: system-disk-full, clear: 99}\n", "line 2: rule: Value error, clear 99 must be"),
        ("rules:\n  - {name: brand-new, threshold: 3}\n", "line 2: metric: Field required"),
        ("rulez:\n  - {name: a}\n", "line 1: unknown section 'rulez'"),
        ("forecasts:\n  - {name: tablespace-forecast, horizon: soon}\n", "line 2: horizon: Value error"),
    ],
)
def test_an_override_that_does_not_validate_names_the_line(text: str, message: str) -> None:
    with pytest.raises(PackError) as caught:
        parse_override(text, BASE)
    assert str(caught.value).startswith(message), str(caught.value)


def hourly(days: int, start: float, per_day: float, noise: float, seed: int = 7) -> list[tuple[datetime, float]]:
    rng = random.Random(seed)
    return [(T0 + timedelta(hours=h), start + per_day * h / 24 + rng.gauss(0, noise)) for h in range(days * 24)]


def test_a_linear_growth_with_noise_predicts_exhaustion_within_ten_percent() -> None:
    points = hourly(7, start=70.0, per_day=1.5, noise=0.8)  # true: 100 % after 20 days from T0
    truth = T0 + timedelta(days=20)
    prediction = predict(points, limit=100.0)
    assert prediction.exhausted_at is not None
    true_left = (truth - prediction.latest_at).total_seconds()
    assert abs((prediction.exhausted_at - truth).total_seconds()) <= 0.1 * true_left
    assert verdict(prediction, horizon_days=14) is True


def test_a_flat_series_with_noise_predicts_nothing() -> None:
    prediction = predict(hourly(7, start=60.0, per_day=0.0, noise=2.0), limit=100.0)
    assert prediction.exhausted_at is None and verdict(prediction, 14) is False


def test_growth_far_beyond_the_horizon_is_calm_and_near_it_is_no_news() -> None:
    far = predict(hourly(7, start=10.0, per_day=0.5, noise=0.1), limit=100.0)  # ~170 days left
    assert verdict(far, 14) is False
    near = predict(hourly(7, start=59.0, per_day=2.5, noise=0.1), limit=100.0)  # ~9.4 days after the last point
    assert verdict(near, 14) is True and verdict(near, 8.5) is None


def test_observations_carry_the_rule_policy() -> None:
    seen = CPU.observation("h1", 95)
    assert seen == Observation(host="h1", rule="cpu", problem_class="load", severity=Severity.minor, value=95,
                               threshold=90, firing=True, flap_window=1800.0, flap_transitions=4)  # fmt: skip
