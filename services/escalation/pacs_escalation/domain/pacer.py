"""When to sweep the contract clocks: at each tick and, between ticks, at every slot of SLOT_SECONDS.

`sla.tick` arrives once a second, so a clock checked only on ticks fires up to a second after its
deadline. After a tick the clocks are therefore swept again at the end of each 100 ms slot, until a
little past when the next tick is due. A sweep does a tick's work (everything due by now, found
through the deadline index), so a missed slot costs only precision. Ticks that arrive while a sweep
runs fold into one. With no ticks (the scheduler is down) the sweeps stop too: the scheduler owns
time. The loop that sweeps is jobs/pace_clocks.py; this is the state it shares with the tick's
handler and with the work that yields to the clocks.
"""

from __future__ import annotations

import math
import time
from collections import deque
from datetime import UTC, datetime

from pacs_kit.loop import Doorbell

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
        self._busy_until = float("-inf")  # monotonic
        self.durations: deque[float] = deque(maxlen=5000)  # seconds per sweep, the latest, for the benchmark
        self.sweeps = 0
        self.doorbell = Doorbell()  # wakes the sweeping loop, to start a round at once

    def busy(self) -> bool:
        """Whether the clocks had a long sweep lately: background work should yield to them."""
        return time.monotonic() < self._busy_until

    def tick(self, now: datetime) -> None:
        """A tick came: sweep at once, then keep pace until a little past the next one."""
        self._tick = now if self._tick is None else max(self._tick, now)
        self._ticked_at = time.monotonic()
        self.doorbell.ring()

    def _pacing(self) -> bool:
        return time.monotonic() - self._ticked_at < PACE_SECONDS

    def due(self) -> datetime | None:
        """The time a sweep now acts up to (a tick's, should it be ahead of this clock), or None: no sweep now."""
        now = datetime.now(UTC)
        if self._tick is not None:
            now, self._tick = max(now, self._tick), None
        elif not self._pacing():
            return None
        return now

    def delay(self) -> float | None:
        """Seconds until the next sweep is due: none with a tick waiting, the slot's end while pacing, else None
        (until a tick)."""
        if self._tick is not None:
            return 0.0
        if not self._pacing():
            return None
        return next_slot(time.time()) - time.time()

    def swept(self, seconds: float) -> None:
        """A sweep took `seconds`: a long one holds background work back for a while."""
        if seconds > BUSY_SWEEP_SECONDS:
            self._busy_until = time.monotonic() + BUSY_HOLD_SECONDS
        self.durations.append(seconds)
        self.sweeps += 1
