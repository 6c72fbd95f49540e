"""Sweeps the contract clocks on each tick and between ticks, as the pacer says (domain/pacer.py).

One loop runs all sweeps of an instance, one after the other; sweeps of several instances are kept
apart by guarded writes.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain.pacer import Pacer
from pacs_escalation.usecases import clocks
from pacs_kit.loop import WorkLoop
from pacs_kit.service import Kit

log = logging.getLogger(__name__)
SWEEP_TIMEOUT_SECONDS = 30.0


def clock_loop(
    pacer: Pacer, sweep: Callable[[datetime], Awaitable[bool]], observe: Callable[[float], None] = lambda s: None
) -> WorkLoop:
    """The loop that calls `sweep(now)`, which acts on everything due by `now` and says whether more is waiting.

    A sweep that found more goes again at once; otherwise the loop waits for the pacer's next slot or tick."""
    more = False

    async def step() -> bool:
        nonlocal more
        now = datetime.now(UTC) if more else pacer.due()
        if now is None:
            return False
        started = time.perf_counter()
        try:
            more = await sweep(now)
        except Exception:  # the database is away, or another instance swept first: the next slot retries
            more = False
            log.warning("clock sweep failed; retrying at the next slot", exc_info=True)
            return False
        seconds = time.perf_counter() - started
        pacer.swept(seconds)
        observe(seconds)
        return more

    loop = WorkLoop("clock sweep", step, poll_seconds=pacer.delay)
    pacer.doorbell.answer_with(loop.wake)
    return loop


async def pace_clocks(kit: Kit, deps: EscalationDeps) -> None:
    """Sweep the contract clocks on each tick and between ticks."""

    async def sweep(now: datetime) -> bool:
        return await kit.uow.run(functools.partial(clocks.sweep, now, deps=deps), timeout=SWEEP_TIMEOUT_SECONDS)

    await clock_loop(deps.pacer, sweep, deps.metrics.clock_sweep.observe).run()
