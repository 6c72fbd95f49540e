"""Intake throughput through the gateway, next to the raw confirmed-publish rate of the same broker.

Starts its own stack (SecantusDB, five services, nginx) on free ports and a namespace of its own,
posts faults at rising concurrency, then measures RabbitMQ confirmed publishes in the same run.
Usage: python bench/intake.py [--seconds 10] [--levels 1,8,32,64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import httpx

from bench.common import percentile, post_for
from pacs_devstack.seed import seed
from pacs_devstack.stack import SERVICES, Stack, StackConfig
from tests.support import delete_namespace


async def post_faults(url: str, key: str, site: str, concurrency: int, seconds: float) -> tuple[int, int, list[float]]:
    """Post as fast as `concurrency` clients can for `seconds`; (accepted, errors, latencies)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, limits=limits, timeout=30) as client:

        def fault() -> dict[str, Any]:
            return {"site_id": site, "external_ref": uuid.uuid4().hex, "code": "BENCH",
                    "description": "benchmark fault"}  # fmt: skip

        return await post_for(client, "/api/v1/faults", fault, concurrency, seconds)


async def raw_publish_rate(amqp_url: str, in_flight: int, count: int) -> float:
    """Confirmed persistent publishes to a quorum queue, `in_flight` awaited together."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        name = f"bench.raw.{uuid.uuid4().hex[:8]}"
        queue = await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        body = b'{"event_id":"x","type":"fault.reported","payload":{}}' * 4
        started = time.perf_counter()
        for start in range(0, count, in_flight):
            batch = [
                channel.default_exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=name
                )
                for _ in range(min(in_flight, count - start))
            ]
            await asyncio.gather(*batch)
        rate = count / (time.perf_counter() - started)
        await queue.delete(if_unused=False, if_empty=False)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each concurrency level")
    parser.add_argument("--levels", default="1,8,32,64", help="client concurrency levels")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    with tempfile.TemporaryDirectory(prefix="pacs-bench-") as run_dir:
        namespace = f"bench{uuid.uuid4().hex[:6]}"
        stack = Stack(StackConfig.ephemeral(Path(run_dir), args.amqp_url, None, namespace))
        try:
            stack.start()
            creds = seed(stack.gateway_url, stack.database_urls, namespace)
            print(f"conditions: {os.cpu_count()} CPUs, Python {platform.python_version()}, one uvicorn worker per")
            print("service, one SecantusDB process for all five databases (no fsync per commit), nginx gateway,")
            print("RabbitMQ quorum queues; the load generator shares the machine. Faults flow on to incidents and")
            print(f"notifications while the load runs. Each level runs {args.seconds:.0f}s.\n")
            print(f"{'clients':>8} {'faults/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
            results = []
            for level in levels:
                accepted, errors, latencies = asyncio.run(
                    post_faults(stack.gateway_url, creds.his_api_key, creds.his_site_id, level, args.seconds)
                )
                rate = accepted / args.seconds
                p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
                p99 = percentile(latencies, 0.99) * 1000 if latencies else float("nan")
                results.append((level, rate))
                print(f"{level:>8} {rate:>9.0f} {p50:>8.1f} {p99:>8.1f} {errors:>7}")
        finally:
            stack.stop()
            asyncio.run(delete_namespace(args.amqp_url, namespace, list(SERVICES)))

    single = asyncio.run(raw_publish_rate(args.amqp_url, 1, 2000))
    batched = asyncio.run(raw_publish_rate(args.amqp_url, 100, 20000))
    best_level, best = max(results, key=lambda r: r[1])
    print(f"\nraw confirmed publish (same broker, quorum queue, persistent): {single:.0f}/s one at a time,")
    print(f"{batched:.0f}/s with 100 in flight")
    print(f"best intake rate: {best:.0f} faults/s at {best_level} clients")
    print(f"ratio to raw publish: {best / single:.3f} (one at a time), {best / batched:.3f} (100 in flight)")


if __name__ == "__main__":
    main()
