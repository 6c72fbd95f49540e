"""Intake throughput through the gateway, next to the raw confirmed-publish rate of the same broker.

Starts its own stack (a SecantusDB per service, five services, nginx) on free ports and a namespace of its own,
posts faults at rising concurrency next to a ceiling app that only validates a fault and publishes it with a
confirm, prints the database commands each fault cost every service on its way to a notification, then measures
RabbitMQ confirmed publishes in the same run.
Usage: python bench/intake.py [--seconds 10] [--levels 1,8,32,64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import httpx

from bench.common import db_commands, percentile, post_for, print_commands_per, settled_commands
from pacs_devstack.processes import Process, free_port, port_open, wait_for
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


def start_ceiling(run_dir: Path, amqp_url: str) -> Process:
    """bench/ceiling.py's `publish_app`: validate a fault and publish it with a confirm, no database."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "--factory", "bench.ceiling:publish_app", "--host", "127.0.0.1",
            "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    env = {"PYTHONPATH": ".", "CEILING_AMQP_URL": amqp_url, "CEILING_QUEUE": f"bench.ceiling.{uuid.uuid4().hex[:8]}"}
    process = Process("ceiling", argv, run_dir / "ceiling.log", env)
    process.start()
    wait_for(lambda: port_open(port), 30, "the ceiling app")
    process.env["URL"] = f"http://127.0.0.1:{port}"
    return process


def run_levels(label: str, url: str, key: str, site: str, levels: list[int], seconds: float) -> list[tuple[int, float]]:
    print(f"\n{label}")
    print(f"{'clients':>8} {'faults/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    results = []
    for level in levels:
        accepted, errors, latencies = asyncio.run(post_faults(url, key, site, level, seconds))
        rate = accepted / seconds
        p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
        p99 = percentile(latencies, 0.99) * 1000 if latencies else float("nan")
        results.append((level, rate))
        print(f"{level:>8} {rate:>9.0f} {p50:>8.1f} {p99:>8.1f} {errors:>7}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each concurrency level")
    parser.add_argument("--levels", default="1,8,32,64", help="client concurrency levels")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    print(f"conditions: {os.cpu_count()} CPUs, Python {platform.python_version()}, one uvicorn worker per service,")
    print("a SecantusDB process per service (standalone, no fsync per commit), nginx gateway, RabbitMQ quorum")
    print("queues; the load generator shares the machine. Faults flow on to incidents and notifications while the")
    print(f"load runs. Each level runs {args.seconds:.0f}s.")
    with tempfile.TemporaryDirectory(prefix="pacs-bench-") as run_dir:
        namespace = f"bench{uuid.uuid4().hex[:6]}"
        stack = Stack(StackConfig.ephemeral(Path(run_dir), args.amqp_url, None, namespace))
        ceiling = start_ceiling(Path(run_dir), args.amqp_url)
        try:
            stack.start()
            creds = seed(stack.gateway_url, stack.database_urls, namespace)
            ceilings = run_levels("ceiling: HTTP + validation + confirmed publish, no database (direct, no gateway)",
                                  ceiling.env["URL"], "", creds.his_site_id, levels, args.seconds)  # fmt: skip
            urls = {name: stack.service_url(name) for name in SERVICES}
            before = db_commands(urls)
            results = run_levels("the platform: POST /api/v1/faults through the gateway", stack.gateway_url,
                                 creds.his_api_key, creds.his_site_id, levels, args.seconds)  # fmt: skip
            accepted = round(sum(rate for _, rate in results) * args.seconds)
            print_commands_per("fault", accepted, before, settled_commands(urls))
        finally:
            ceiling.stop()
            stack.stop()
            asyncio.run(delete_namespace(args.amqp_url, namespace, list(SERVICES)))

    single = asyncio.run(raw_publish_rate(args.amqp_url, 1, 2000))
    batched = asyncio.run(raw_publish_rate(args.amqp_url, 100, 20000))
    best_level, best = max(results, key=lambda r: r[1])
    _, best_ceiling = max(ceilings, key=lambda r: r[1])
    print(f"\nraw confirmed publish (same broker, quorum queue, persistent): {single:.0f}/s one at a time,")
    print(f"{batched:.0f}/s with 100 in flight")
    print(f"best intake rate: {best:.0f} faults/s at {best_level} clients")
    print(f"ratio to HTTP + confirmed publish: {best / best_ceiling:.3f} ({best_ceiling:.0f}/s at its best level)")
    print(f"ratio to raw publish: {best / single:.3f} (one at a time), {best / batched:.3f} (100 in flight)")


if __name__ == "__main__":
    main()
