"""How late do escalations fire with many open incidents? The escalation ladder under load.

Starts SecantusDB, then escalation and the scheduler in-process on a namespace of their own,
inserts N open, acknowledged incidents whose first ladder step (L1→L2) falls due uniformly over
`--spread` seconds, lets the real one-second `sla.tick` drive them (with the pacer's sweeps between
ticks), and prints how late each escalation was decided (escalated_at minus its deadline) and
reached a consumer on the bus, and how long each sweep took, commit included.
Usage: python bench/timers.py [--incidents 100000] [--spread 600]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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

from pacs_devstack.processes import secantus_servers
from pacs_escalation.jobs.file_escalations import FILING_BATCH, FILING_PAUSE
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
            "summary": f"PACS-ARCHIVE-DOWN on ARCH-{i:06d}", "terms": TERMS, "entitlement": "free",
            "description": f"Archive node ARCH-{i:06d} rejects new studies from modality {i % 97}", "opened_at": opened,
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
        await channel.set_qos(prefetch_count=1000)
        exchange = await channel.declare_exchange(f"{namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True)
        tap = await channel.declare_queue(exclusive=True)
        await tap.bind(exchange, routing_key="incident.escalated")
        async with LifespanManager(escalation, startup_timeout=60, shutdown_timeout=30):
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
            async with LifespanManager(
                scheduler_app(SchedulerSettings(**common)), startup_timeout=60, shutdown_timeout=30
            ):
                lateness, decided = await collect(tap, deadlines, first_due + timedelta(seconds=spread))
            pacer = escalation.state.deps.pacer
            report(lateness, decided, count, list(pacer.durations), pacer.sweeps)
            waiting = await escalation.state.deps.filing.backlog()
            print(f"escalations still waiting to be filed in the escalation database: {waiting} "
                  f"(the filer takes {FILING_BATCH} per {FILING_PAUSE:.0f} s, behind the clocks)")  # fmt: skip
    finally:
        await connection.close()
        await delete_namespace(amqp_url, namespace, ["escalation"])


async def collect(tap: Any, deadlines: dict[str, datetime], last_due: datetime) -> tuple[list[float], list[float]]:
    """Seconds from each deadline until its escalation was decided, and until it reached a consumer here."""
    lateness: list[float] = []
    decided: list[float] = []
    done = asyncio.Event()

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        arrived = datetime.now(UTC)  # pushed by the broker as it arrives, as notify would receive it
        payload = json.loads(message.body)["payload"]
        deadline = deadlines[payload["incident_id"]]
        lateness.append((arrived - deadline).total_seconds())
        decided.append((datetime.fromisoformat(payload["escalated_at"]) - deadline).total_seconds())
        await message.ack()
        if len(lateness) >= len(deadlines):
            done.set()

    await tap.consume(on_message)
    give_up = (last_due + timedelta(seconds=60) - datetime.now(UTC)).total_seconds()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), max(give_up, 1.0))
    return lateness, decided


def report(lateness: list[float], decided: list[float], count: int, sweeps: list[float], total: int) -> None:
    print(f"escalations published: {len(lateness)} of {count}")
    for label, values in (("decided", decided), ("on the bus", lateness)):
        ordered = sorted(values)
        if not ordered:
            continue

        def pct(q: float, ordered: list[float] = ordered) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        early = sum(1 for x in ordered if x < 0)
        print(f"lateness {label:10} s: p50 {pct(0.5):.2f}  p99 {pct(0.99):.2f}  max {ordered[-1]:.2f}  "
              f"mean {statistics.mean(ordered):.2f}  (early: {early})")  # fmt: skip
    print("goal: p99 on the bus under 1 s")
    if sweeps:
        ordered = sorted(sweeps)
        p99 = ordered[int(0.99 * (len(ordered) - 1))]
        mean = statistics.mean(ordered)
        print(f"clock sweeps (at ticks and between them): {total}; the last {len(ordered)}: mean {1000 * mean:.0f} ms,"
              f" p99 {1000 * p99:.0f} ms, max {1000 * ordered[-1]:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--spread", type=float, default=600.0, help="seconds over which deadlines fall")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pacs-bench-db-") as data, secantus_servers(Path(data), ["bench"]) as urls:
        print(f"conditions: {os.cpu_count()} CPUs, SecantusDB, one escalation instance, real 1 s ticks;")
        print(f"{args.incidents} incidents due over {args.spread:.0f}s, one L1→L2 step each\n")
        asyncio.run(run(args.amqp_url, urls["bench"], args.incidents, args.spread))


if __name__ == "__main__":
    main()
