"""Capacity history for the forecasts: one point per series and hour, kept for a while, then expired.

Raw samples are not stored: a forecast needs only the hourly trend. The first sample of each hour
is kept (by id, so two instances agree), and each instance remembers the newest hour it wrote per
series, so a batch writes only when an hour turns.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pymongo import ASCENDING, IndexModel, UpdateOne

from pacs_contracts.common import parse_duration
from pacs_kit.mongo import Repository
from pacs_monitoring.domain.forecast import predict, verdict
from pacs_monitoring.domain.pack import PROBLEM_FORECAST, Forecast
from pacs_monitoring.domain.rules import Observation

if TYPE_CHECKING:
    from pacs_kit.mongo import Mongo

RETENTION = timedelta(days=35)  # longer than any sensible lookback


class CapacityPoints(Repository):
    collection_name = "capacity_points"
    indexes = [
        IndexModel([("series", ASCENDING), ("at", ASCENDING)]),
        IndexModel([("at", ASCENDING)], expireAfterSeconds=int(RETENTION.total_seconds())),
    ]

    def __init__(self, mongo: Mongo) -> None:
        super().__init__(mongo)
        self.newest_hour: dict[str, datetime] = {}

    async def record(self, series: str, points: list[tuple[datetime, float]]) -> bool:
        """Keep the first point of each new hour; True when the series gained one."""
        fresh: dict[datetime, tuple[datetime, float]] = {}
        newest = self.newest_hour.get(series)
        for at, value in sorted(points):
            hour = at.replace(minute=0, second=0, microsecond=0)
            if (newest is None or hour > newest) and hour not in fresh:
                fresh[hour] = (at, value)
        if not fresh:
            return False
        writes = [UpdateOne({"_id": f"{series}|{hour:%Y%m%d%H}"},
                            {"$setOnInsert": {"series": series, "at": at, "value": value}}, upsert=True)
                  for hour, (at, value) in fresh.items()]  # fmt: skip
        await self.collection.bulk_write(writes, ordered=False)
        self.newest_hour[series] = max(fresh)
        return True

    async def history(self, series: str, since: datetime, until: datetime) -> list[tuple[datetime, float]]:
        docs = await self.collection.find({"series": series, "at": {"$gte": since, "$lte": until}}).to_list()
        return [(d["at"], d["value"]) for d in docs]


async def forecast(points: CapacityPoints, site_id: str, host: str, rule: Forecast,
                   samples: list[tuple[datetime, float]]) -> Observation | None:  # fmt: skip
    """Record the samples' hours; when the series gained one, fit it and say what it predicts."""
    series = f"{site_id}|{host}|{rule.name}"
    if not await points.record(series, samples):
        return None
    latest = max(at for at, _ in samples)
    history = await points.history(series, latest - parse_duration(rule.lookback), latest)
    if len(history) < rule.min_points:
        return None
    prediction = predict(history, rule.limit)
    horizon_days = parse_duration(rule.horizon).total_seconds() / 86400
    left = prediction.days_left()
    return Observation(
        host=host, rule=rule.name, problem_class=PROBLEM_FORECAST, severity=rule.severity,
        value=round(left, 2) if left is not None else -1.0, threshold=horizon_days,
        firing=verdict(prediction, horizon_days), exhausted_at=prediction.exhausted_at,
    )  # fmt: skip
