"""Two scheduler processes on one database: one ticks; SIGKILL it and the other ticks within 5 s."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from pacs_contracts.events import SlaTick
from pacs_devstack.processes import Process, free_port, port_open
from tests.support import eventually

TAKEOVER_SECONDS = 5.0  # the promise; the lease runs 3 s and is tried every tick


async def test_a_killed_ticker_is_replaced_within_five_seconds(
    amqp_url: str, mongodb_urls: dict[str, str], namespace: str, tap: Callable[..., Any], tmp_path: Path
) -> None:
    ticks = await tap(SlaTick.type)
    processes = {}
    for name in ("sched-1", "sched-2"):
        port = free_port()
        env = {"AMQP_URL": amqp_url, "SCHEDULER_MONGODB_URL": mongodb_urls["scheduler"], "BUS_NAMESPACE": namespace,
               "ENVIRONMENT": "test", "SCHEDULER_INSTANCE_ID": name}  # fmt: skip
        argv = [sys.executable, "-m", "uvicorn", "--factory", "pacs_scheduler.main:create_app", "--port", str(port),
                "--no-access-log"]  # fmt: skip
        processes[name] = Process(name, argv, tmp_path / f"{name}.log", env)
        processes[name].start()
        await eventually(functools.partial(port_open, port), timeout=30, what=f"{name} listening")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_urls["scheduler"])
    try:
        await ticks.at_least(3, timeout=15, what="ticks from one of the two")
        lease = await client[f"{namespace}_scheduler"]["leases"].find_one({})
        assert lease is not None and lease["holder"] in processes
        leader = lease["holder"]

        processes[leader].kill()
        killed_at = time.monotonic()
        last = max(t["payload"]["sequence"] for t in await ticks.drain())  # the dead leader's last, in flight included

        async def resumed() -> bool:
            return any(t["payload"]["sequence"] > last for t in await ticks.drain())

        await eventually(resumed, timeout=TAKEOVER_SECONDS + 5, what="ticks after the kill")
        took = time.monotonic() - killed_at
        assert took < TAKEOVER_SECONDS, f"ticks resumed {took:.1f}s after the kill"
        holder = (await client[f"{namespace}_scheduler"]["leases"].find_one({}) or {}).get("holder")
        assert holder != leader and holder in processes
        sequences = [t["payload"]["sequence"] for t in ticks.received]
        assert sequences == sorted(set(sequences)), "never two tickers at once: no sequence twice"
    finally:
        await client.close()
        for process in processes.values():
            process.stop()
