"""The cluster clock's timing, as pure functions."""

from __future__ import annotations

import math


def next_tick(now: float, interval: float) -> float:
    """The next whole multiple of `interval` after `now`, so ticks stay aligned to the second."""
    return (math.floor(now / interval) + 1) * interval
