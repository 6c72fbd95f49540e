"""The pacer sweeps at each tick, then at every slot until a little past the next tick, then rests."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime

from pacs_escalation.domain.pacer import PACE_SECONDS, SLOT_SECONDS, WAKE_MARGIN, Pacer, next_slot
from pacs_escalation.jobs.pace_clocks import clock_loop
from tests.support import eventually


def test_a_slot_ends_after_every_deadline_in_it() -> None:
    assert next_slot(100.00) == 100.1 + WAKE_MARGIN
    assert next_slot(100.04) == 100.1 + WAKE_MARGIN
    assert next_slot(100.099) == 100.1 + WAKE_MARGIN


async def test_sweeps_follow_a_tick_at_each_slot_and_stop_without_ticks() -> None:
    pacer = Pacer()
    swept: list[tuple[float, datetime]] = []

    async def sweep(now: datetime) -> bool:
        swept.append((time.time(), now))
        return False

    task = asyncio.create_task(clock_loop(pacer, sweep).run())
    try:
        await asyncio.sleep(0.3)
        assert swept == [], "no tick, no sweep"
        ticked = datetime.now(UTC)
        pacer.tick(ticked)
        await eventually(lambda: swept, timeout=2, what="the tick's sweep")
        assert swept[0][1] >= ticked

        await eventually(lambda: len(swept) >= 5, timeout=5, what="sweeps between ticks")
        between = [at for at, _ in swept[1:5]]
        # one per slot: no busy loop between ticks
        assert all(b - a >= SLOT_SECONDS / 2 for a, b in itertools.pairwise(between)), between
        assert all(now.timestamp() <= at + 0.001 for at, now in swept)

        await asyncio.sleep(PACE_SECONDS + 0.3)
        resting = len(swept)
        await asyncio.sleep(0.5)
        assert len(swept) == resting, "without ticks the pacer rests"
    finally:
        task.cancel()


async def test_a_full_sweep_goes_again_at_once_and_a_failed_one_does_not_stop_the_pacer() -> None:
    pacer = Pacer()
    calls: list[str] = []
    outcomes = iter(["fail", "more", "more", "done"])

    async def sweep(now: datetime) -> bool:
        outcome = next(outcomes, "done")
        calls.append(outcome)
        if outcome == "fail":
            raise ConnectionError("database away")
        return outcome == "more"

    task = asyncio.create_task(clock_loop(pacer, sweep).run())
    try:
        pacer.tick(datetime.now(UTC))
        await eventually(lambda: len(calls) >= 4, timeout=3, what="sweeps after a failure")
        assert calls[:4] == ["fail", "more", "more", "done"]
        assert len(pacer.durations) >= 3
    finally:
        task.cancel()
