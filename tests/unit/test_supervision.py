"""A service's long-lived task that fails is started again and counted, instead of dying unseen."""

from __future__ import annotations

import asyncio

from pacs_kit.metrics import ServiceMetrics
from pacs_kit.service import supervised


async def test_a_failing_task_is_started_again_and_counted() -> None:
    metrics = ServiceMetrics("escalation")
    runs: list[int] = []

    async def consumer() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError("channel closed under the ack")  # what aiormq raised, unseen, before

    await asyncio.wait_for(supervised("consumer", consumer, metrics), timeout=10)
    assert len(runs) == 3, "ran again after each failure, until it returned"
    assert metrics.registry.get_sample_value("pacs_task_restarts_total", {"task": "consumer"}) == 2


async def test_cancelling_a_supervised_task_stops_it() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(supervised("relay", forever, ServiceMetrics("intake")))
    await asyncio.wait_for(started.wait(), timeout=5)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=5)
    assert task in done and task.cancelled(), "shutdown is not taken for a failure to restart"
