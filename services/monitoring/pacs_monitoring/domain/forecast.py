"""Capacity forecasts: fit a straight line to the recent history and say when it meets the limit. Pure.

A least-squares line over the lookback window. Only a growth the data supports counts: the slope
must stand clear of its own standard error (t ≥ 3), so a flat series with noise never predicts an
exhaustion, however far off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

MIN_T = 3.0  # the slope must be this many standard errors above zero
CLEAR_MARGIN = 1.25  # a warning clears once exhaustion is this many horizons away (hysteresis)


@dataclass(frozen=True)
class Prediction:
    latest_at: datetime
    slope_per_day: float
    exhausted_at: datetime | None  # None: no growth the data supports

    def days_left(self) -> float | None:
        if self.exhausted_at is None:
            return None
        return max(0.0, (self.exhausted_at - self.latest_at).total_seconds() / 86400)


def predict(points: list[tuple[datetime, float]], limit: float) -> Prediction:
    """`points` as (time, value), in any order; at least three."""
    points = sorted(points)
    first, latest_at = points[0][0], points[-1][0]
    t = np.array([(at - first).total_seconds() / 86400 for at, _ in points])
    y = np.array([value for _, value in points])
    if len(points) < 3 or np.ptp(t) == 0:
        return Prediction(latest_at, 0.0, None)
    slope, intercept = np.polyfit(t, y, 1)
    residuals = y - (slope * t + intercept)
    spread = float(np.sum((t - t.mean()) ** 2))
    stderr = float(np.sqrt(np.sum(residuals**2) / (len(t) - 2) / spread)) if len(t) > 2 else 0.0
    supported = slope > 0 and (stderr == 0.0 or slope / stderr >= MIN_T)
    if not supported:
        return Prediction(latest_at, float(slope), None)
    days = (limit - intercept) / slope
    return Prediction(latest_at, float(slope), first + timedelta(days=float(days)))


def verdict(prediction: Prediction, horizon_days: float) -> bool | None:
    """True: exhaustion within the horizon; False: comfortably beyond it (or no growth); None: in between."""
    left = prediction.days_left()
    if left is None or left > horizon_days * CLEAR_MARGIN:
        return False
    return True if left <= horizon_days else None
