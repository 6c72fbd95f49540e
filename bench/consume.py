"""Consumer throughput against prefetch: the kit's consumer (inbox, transaction, ack) next to a raw one.

For each prefetch value, fills a queue with N events, then times how fast (a) a bare aio-pika
consumer that only acks and (b) the kit's consumer with a one-write handler drain it, on the
same broker and a SecantusDB started here. Usage: python bench/consume.py [--count 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
from asgi_lifespan import LifespanManager

from pacs_contracts import Envelope
from pacs_contracts.events import SlaTick
from pacs_devstack.processes import secantus_servers
from pacs_kit.bus import Bus
from pacs_kit.settings import ServiceSettings
from pacs_kit.topology import Topology
from tests.integration.test_kit_delivery import ProbeDeps, probe_app
from tests.support import delete_namespace, eventually


async def fill(amqp_url: str, exchange_name: str, count: int) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_name)
        for start in range(0, count, 200):
            envelopes = [
                Envelope.wrap(SlaTick(at="2026-01-01T00:00:00Z", sequence=i), producer="bench")
                for i in range(start, min(count, start + 200))
            ]
            await asyncio.gather(
                *(
                    exchange.publish(aio_pika.Message(e.model_dump_json().encode(), message_id=str(e.event_id)), e.type)
                    for e in envelopes
                )
            )


async def raw_rate(amqp_url: str, prefetch: int, count: int) -> float:
    """Publish `count` messages to a fresh queue, then drain it with manual acks only."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            f"bench.raw.{uuid.uuid4().hex[:8]}", durable=True, arguments={"x-queue-type": "quorum"}
        )
        body = b"x" * 300
        for start in range(0, count, 200):
            batch = min(200, count - start)
            await asyncio.gather(
                *(channel.default_exchange.publish(aio_pika.Message(body), queue.name) for _ in range(batch))
            )
        consume = await connection.channel()
        await consume.set_qos(prefetch_count=prefetch)
        queue_c = await consume.get_queue(queue.name)
        done = asyncio.Event()
        seen = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            await message.ack()
            seen += 1
            if seen == count:
                done.set()

        started = time.perf_counter()
        tag = await queue_c.consume(on_message)
        await asyncio.wait_for(done.wait(), 300)
        rate = count / (time.perf_counter() - started)
        await queue_c.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
    return rate


async def kit_rate(amqp_url: str, mongodb_url: str, prefetch: int, count: int) -> float:
    namespace = f"benchc{uuid.uuid4().hex[:6]}"
    settings = ServiceSettings(
        service_name="probe", amqp_url=amqp_url, mongodb_url=mongodb_url, bus_namespace=namespace, prefetch=prefetch
    )
    bus = Bus(amqp_url, Topology(namespace, "probe"), prefetch=prefetch, delivery_limit=5)
    try:
        await bus.connect()  # declare the probe's queue and fill it before any consumer runs
        assert bus.connection is not None
        await bus.declare_queue(await bus.connection.channel(), [SlaTick])
        await bus.close()
        await fill(amqp_url, f"{namespace}.events", count)
        consumer = probe_app(settings)
        logging.getLogger().setLevel(logging.WARNING)  # the kit logs each start at INFO
        deps: ProbeDeps = consumer.state.deps
        started = time.perf_counter()
        async with LifespanManager(consumer, startup_timeout=60):

            async def all_handled() -> bool:
                return await deps.effects.collection.count_documents({}) >= count

            await eventually(all_handled, timeout=600, what="every message handled", interval=0.05)
            return count / (time.perf_counter() - started)
    finally:
        await delete_namespace(amqp_url, namespace, ["probe"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--prefetch", default="1,10,50,100,250")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pacs-bench-db-") as data, secantus_servers(Path(data), ["bench"]) as urls:
        print(f"conditions: {os.cpu_count()} CPUs, {args.count} messages per run, quorum queues, SecantusDB;")
        print("kit consumer = decode, inbox check, handler with one insert and one emitted event, commit, ack\n")
        print(f"{'prefetch':>8} {'raw ack msg/s':>14} {'kit msg/s':>10} {'kit/raw':>8}")
        for prefetch in [int(p) for p in args.prefetch.split(",")]:
            raw = asyncio.run(raw_rate(args.amqp_url, prefetch, args.count))
            kit = asyncio.run(kit_rate(args.amqp_url, urls["bench"], prefetch, args.count))
            print(f"{prefetch:>8} {raw:>14.0f} {kit:>10.0f} {kit / raw:>8.3f}")


if __name__ == "__main__":
    main()
