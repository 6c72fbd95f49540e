"""How late do escalations fire with many open incidents? The escalation ladder under load.

Starts SecantusDB, then escalation and the scheduler in-process on a namespace of their own,
inserts N open, acknowledged incidents whose first ladder step (L1→L2) falls due uniformly over
`--spread` seconds, lets the real one-second `sla.tick` drive them, and prints how late each
escalation fired (escalated_at minus its deadline) and how long each tick took to process.
Usage: python bench/timers.py [--incidents 100000] [--spread 600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
from asgi_lifespan import LifespanManager

from pacs_devstack.processes import secantus
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_scheduler.main import create_app as scheduler_app
from pacs_scheduler.settings import SchedulerSettings
from tests.support import delete_namespace

STEP = timedelta(seconds=60)  # the contract's first rung; deadlines are opened_at + STEP
TERMS = {"response": "PT1H", "on_site": "PT6H", "ladder": [{"after": "PT60S", "tier": "L2"}]}


def incidents(count: int, first_due: datetime, spread: float) -> list[dict[str, Any]]:
    docs = []
    for i in range(count):
        due = first_due + timedelta(milliseconds=int(1000 * spread * i / count))  # the database keeps milliseconds
        opened = due - STEP
        docs.append({
            "_id": f"INC-B{i:07d}", "site_id": "SITE-B", "region": "east", "fault_id": f"F-B{i:07d}",
            "state": "acknowledged", "tier": "L1", "assignee_id": "ENG-B1", "severity": "major",
            "summary": "bench", "terms": TERMS, "entitlement": "free", "opened_at": opened,
            "response_due": opened + timedelta(hours=1), "acknowledged_at": opened, "pauses": [],
            "timeline": [], "next_check_at": due,
        })  # fmt: skip
    return docs


async def run(amqp_url: str, mongodb_url: str, count: int, spread: float) -> None:
    namespace = f"timers{uuid.uuid4().hex[:6]}"
    common = {"amqp_url": amqp_url, "mongodb_url": mongodb_url, "bus_namespace": namespace, "environment": "test"}
    escalation = escalation_app(EscalationSettings(**common))
    logging.getLogger().setLevel(logging.WARNING)
    db = escalation.state.kit.mongo.db
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(f"{namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True)
        tap = await channel.declare_queue(exclusive=True)
        await tap.bind(exchange, routing_key="incident.escalated")
        async with LifespanManager(escalation, startup_timeout=60):
            await db["engineers"].insert_many([
                {"_id": "ENG-B1", "name": "b1", "region": "east", "tier": "L1", "locale": "en"},
                {"_id": "ENG-B2", "name": "b2", "region": "east", "tier": "L2", "locale": "en"},
            ])  # fmt: skip
            # the first deadline falls after the insert (about 1k documents/s here) and the first ticks
            lead = timedelta(seconds=20 + count / 700)
            first_due = (datetime.now(UTC) + lead).replace(microsecond=0)
            docs = incidents(count, first_due, spread)
            started = time.perf_counter()
            for i in range(0, count, 5000):
                await db["incidents"].insert_many(docs[i : i + 5000], ordered=False)
            print(f"inserted {count} open incidents in {time.perf_counter() - started:.1f}s")
            if datetime.now(UTC) > first_due:
                print("warning: the insert outlasted the lead; the first escalations were due before ticking began")
            deadlines = {d["_id"]: d["next_check_at"] for d in docs}
            async with LifespanManager(scheduler_app(SchedulerSettings(**common)), startup_timeout=60):
                lateness = await collect(tap, deadlines, first_due + timedelta(seconds=spread))
            handler = escalation.state.kit.metrics.handler_duration.labels("sla.tick")
            report(lateness, count, handler)
    finally:
        await connection.close()
        await delete_namespace(amqp_url, namespace, ["escalation"])


async def collect(tap: Any, deadlines: dict[str, datetime], last_due: datetime) -> list[float]:
    """Seconds from each deadline until its escalation was on the bus (what notify acts on)."""
    lateness: list[float] = []
    give_up = last_due + timedelta(seconds=60)
    while len(lateness) < len(deadlines) and datetime.now(UTC) < give_up:
        message = await tap.get(fail=False)
        if message is None:
            await asyncio.sleep(0.2)
            continue
        payload = json.loads(message.body)["payload"]
        lateness.append((datetime.now(UTC) - deadlines[payload["incident_id"]]).total_seconds())
        await message.ack()
    return lateness


def report(lateness: list[float], count: int, handler: Any) -> None:
    ordered = sorted(lateness)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    print(f"escalations published: {len(lateness)} of {count}")
    if ordered:
        early = sum(1 for x in ordered if x < 0)
        print(f"lateness s: p50 {pct(0.5):.2f}  p99 {pct(0.99):.2f}  max {ordered[-1]:.2f}  (early: {early})")
        print(f"mean lateness {statistics.mean(ordered):.2f}s; goal: p99 under 1 s")
    samples = {s.name: s.value for m in handler.collect() for s in m.samples}
    total = samples.get("pacs_handler_duration_seconds_sum", 0.0)
    ticks = samples.get("pacs_handler_duration_seconds_count", 0.0)
    if ticks:
        print(f"tick handling: {ticks:.0f} ticks, mean {1000 * total / ticks:.0f} ms from delivery to ack")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--spread", type=float, default=600.0, help="seconds over which deadlines fall")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pacs-bench-db-") as data, secantus(Path(data) / "wt") as url:
        print(f"conditions: {os.cpu_count()} CPUs, SecantusDB, one escalation instance, real 1 s ticks;")
        print(f"{args.incidents} incidents due over {args.spread:.0f}s, one L1→L2 step each\n")
        asyncio.run(run(args.amqp_url, url, args.incidents, args.spread))


if __name__ == "__main__":
    main()
