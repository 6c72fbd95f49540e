"""Sweeps the contract clocks at each tick and, between ticks, at every slot of SLOT_SECONDS.

`sla.tick` arrives once a second, so a clock checked only on ticks fires up to a second after its
deadline. After a tick the pacer therefore keeps sweeping at the end of each 100 ms slot, until a
little past when the next tick is due. A sweep does a tick's work (everything due by now, found
through the deadline index), so a missed slot costs only precision. One task runs all sweeps of
an instance, one after the other; ticks that arrive while a sweep runs fold into one. With no
ticks (the scheduler is down) the pacer stops too: the scheduler owns time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

log = logging.getLogger(__name__)
SLOT_SECONDS = 0.1  # at most ten checks a second between ticks
WAKE_MARGIN = 0.005  # a timer may fire a little early; a sweep must not
PACE_SECONDS = 1.25  # how long after a tick to keep checking: past the next tick, should it be late
BUSY_SWEEP_SECONDS = 0.05  # a sweep this long means the clocks are under load ...
BUSY_HOLD_SECONDS = 2.0  # ... and work that can wait, waits this much longer


def next_slot(now: float, slot: float = SLOT_SECONDS) -> float:
    """The end of the slot after `now` (epoch seconds, plus a margin): every deadline in it is due by then."""
    return math.floor(now / slot) * slot + slot + WAKE_MARGIN


class Pacer:
    def __init__(self) -> None:
        self._tick: datetime | None = None
        self._ticked_at = float("-inf")  # monotonic
        self._ticked = asyncio.Event()
        self._busy_until = float("-inf")  # monotonic
        self.durations: deque[float] = deque(maxlen=5000)  # seconds per sweep, the latest, for the benchmark
        self.sweeps = 0
        self.observe: Callable[[float], None] = lambda seconds: None

    def busy(self) -> bool:
        """Whether the clocks had a long sweep lately: background work should yield to them."""
        return time.monotonic() < self._busy_until

    def tick(self, now: datetime) -> None:
        """A tick came: sweep at once, then keep pace until a little past the next one."""
        self._tick = now if self._tick is None else max(self._tick, now)
        self._ticked_at = time.monotonic()
        self._ticked.set()

    async def run(self, sweep: Callable[[datetime], Awaitable[bool]]) -> None:
        """Call `sweep(now)`, which acts on everything due by `now` and says whether more is waiting."""
        while True:
            if self._tick is None:
                pacing = time.monotonic() - self._ticked_at < PACE_SECONDS
                delay = next_slot(time.time()) - time.time() if pacing else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._ticked.wait(), delay)
            self._ticked.clear()
            now = datetime.now(UTC)
            if self._tick is not None:
                now, self._tick = max(now, self._tick), None
            elif time.monotonic() - self._ticked_at >= PACE_SECONDS:
                continue
            try:
                while await self._timed(sweep, now):
                    now = datetime.now(UTC)
            except Exception:  # the database is away, or another instance swept first: the next slot retries
                log.warning("clock sweep failed; retrying at the next slot", exc_info=True)

    async def _timed(self, sweep: Callable[[datetime], Awaitable[bool]], now: datetime) -> bool:
        started = time.perf_counter()
        more = await sweep(now)
        seconds = time.perf_counter() - started
        if seconds > BUSY_SWEEP_SECONDS:
            self._busy_until = time.monotonic() + BUSY_HOLD_SECONDS
        self.observe(seconds)
        self.durations.append(seconds)
        self.sweeps += 1
        return more
