"""Memory under soak: an hour of a busy estate's traffic at 10x, compressed into `--minutes` (10), with each
service's resident memory sampled throughout.

The reference hour, for an estate of 100 hospitals: 60 HIS faults, 12 logged calls, 1,200 monitoring
batches (each site's agent every 5 minutes, 5 hosts x 20 watched metrics), 1,200 heartbeats, 1,200 staff
reads (incident lists, one incident, the notification log) and the incidents of the hour acknowledged and
resolved by their engineers. Ten such hours are offered within the run, each kind of request spread evenly;
what a saturated platform cannot take by the end is not sent, and the figures say how much was.

Starts its own stack (a SecantusDB per service, the five services, nginx); notifications go to the log channel.
The baseline, in the same run: each service's memory after start and seeding, before any load. The
bound: after the first `--warmup` minutes (caches, connection pools and metric series fill), a service
may grow by at most 10 % of its warm size, 16 MB at least (allocator slack); more is reported as growth.
Usage: python bench/soak.py [--minutes 10] [--warmup 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.monitoring import WATCHED
from pacs_devstack.seed import SITES, DemoCredentials, seed
from pacs_devstack.stack import SERVICES, Stack, StackConfig
from pacs_kit.cli import create_api_key
from tests.support import delete_namespace, make_fault

HOUR = {"fault": 60, "call": 12, "batch": 1200, "heartbeat": 1200, "read": 1200, "work": 60}
SCALE = 10
MB = 1024 * 1024


def rss(pid: int) -> int:
    """Resident set size in bytes, from the kernel's own accounting."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def batch(site_id: str, hosts: int = 5) -> dict[str, object]:
    at = datetime.now(UTC).isoformat()
    samples = [{"host": f"pacs-{h:02d}", "name": m, "labels": labels, "value": v, "timestamp": at}
               for h in range(hosts) for m, labels, v in WATCHED]  # fmt: skip
    return {"site_id": site_id, "samples": samples}


class Traffic:
    """Each kind of request at its own even pace; every answer is counted by kind and status."""

    def __init__(self, gateway: str, creds: DemoCredentials, site_keys: dict[str, str]) -> None:
        self.gateway = gateway
        self.creds = creds
        self.site_keys = site_keys
        self.answers: Counter[tuple[str, int]] = Counter()
        self.planned: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.clients: list[httpx.AsyncClient] = []

    def client(self, headers: dict[str, str]) -> httpx.AsyncClient:
        self.clients.append(httpx.AsyncClient(base_url=self.gateway, headers=headers, timeout=60))
        return self.clients[-1]

    async def run(self, seconds: float) -> None:
        his = {s: self.client({"X-API-Key": k}) for s, k in self.site_keys.items()}
        agent = self.client({"Authorization": f"Bearer {self.creds.agent_token}"})
        admin = self.client({"Authorization": f"Bearer {self.creds.admin_token}"})
        sites = list(his)

        async def fault() -> httpx.Response:
            site = random.choice(sites)
            return await his[site].post("/api/v1/faults", json=make_fault(site, code="SOAK"))

        async def call() -> httpx.Response:
            body = {"site_id": random.choice(sites), "caller_role": "radiographer", "description": "Slow viewer"}
            return await agent.post("/api/v1/calls", json=body)

        async def metrics() -> httpx.Response:
            site = random.choice(sites)
            return await his[site].post("/api/v1/metrics", json=batch(site))

        async def heartbeat() -> httpx.Response:
            site = random.choice(sites)
            return await his[site].post("/api/v1/heartbeats", json={"site_id": site, "link": "remote-monitoring"})

        async def read() -> httpx.Response:
            which = random.random()
            if which < 0.5:
                return await agent.get("/api/v1/incidents", params={"limit": 20})
            if which < 0.8:
                listed = await agent.get("/api/v1/incidents", params={"limit": 1})
                if not listed.is_success or not listed.json()["items"]:
                    return listed
                return await agent.get(f"/api/v1/incidents/{listed.json()['items'][0]['incident_id']}")
            return await admin.get("/api/v1/notifications", params={"limit": 20})

        async def work() -> httpx.Response:
            """The newest unacknowledged incident acknowledged and resolved, as its engineer would."""
            listed = await admin.get("/api/v1/incidents", params={"state": "opened", "limit": 1})
            if not listed.is_success or not listed.json()["items"]:
                return listed
            path = f"/api/v1/incidents/{listed.json()['items'][0]['incident_id']}"
            await admin.post(f"{path}/acknowledge", json={})
            resolution = {"root_cause": "Archive service hung", "resolution": "Restarted the archive service",
                          "caused_by": "software"}  # fmt: skip
            return await admin.post(f"{path}/resolve", json=resolution)

        kinds: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
            "fault": fault, "call": call, "batch": metrics, "heartbeat": heartbeat, "read": read, "work": work,
        }  # fmt: skip
        await asyncio.gather(*(self.paced(kind, send, HOUR[kind] * SCALE / seconds, seconds)
                               for kind, send in kinds.items()))  # fmt: skip
        for client in self.clients:
            await client.aclose()

    async def paced(self, kind: str, send: Callable[[], Awaitable[httpx.Response]], rate: float,
                    seconds: float) -> None:  # fmt: skip
        """Open loop at `rate` per second for `seconds`: a slow answer does not slow the pace (up to 32 in
        flight). What a saturated platform could not take by the end is not sent: `sent` against `planned`
        says how much of the load it carried."""
        started = time.monotonic()
        in_flight = asyncio.Semaphore(32)
        tasks: set[asyncio.Task[None]] = set()

        async def one() -> None:
            try:
                response = await send()
                self.answers[(kind, response.status_code)] += 1
            except Exception as exc:  # counted and reported; one odd answer never ends the soak
                self.answers[(f"{kind} ({type(exc).__name__})", 0)] += 1
            finally:
                in_flight.release()

        self.planned[kind] = int(rate * seconds)
        for n in range(self.planned[kind]):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            await in_flight.acquire()
            if time.monotonic() > started + seconds:
                break
            self.sent[kind] += 1
            task = asyncio.create_task(one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=60)
            for task in late:
                task.cancel()


async def sample(stack: Stack, seconds: float, every: float,
                 traffic: Traffic | None = None) -> list[tuple[float, dict[str, int]]]:  # fmt: skip
    """Each service's RSS every `every` seconds; with `traffic`, a progress line each minute."""
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        pids = {s: stack.processes[s].popen.pid for s in SERVICES if stack.processes[s].popen is not None}
        at = time.monotonic() - started
        samples.append((at, {s: rss(pid) for s, pid in pids.items()}))
        if traffic is not None and len(samples) % max(1, round(60 / every)) == 1:
            sizes = ", ".join(f"{s} {v / MB:.0f}" for s, v in samples[-1][1].items())
            print(f"  {at / 60:4.1f} min: {sum(traffic.sent.values())} requests sent; MB {sizes}", flush=True)
        await asyncio.sleep(every)
    return samples


async def soak(stack: Stack, creds: DemoCredentials, args: argparse.Namespace) -> None:
    site_keys = {creds.his_site_id: creds.his_api_key}
    for site in SITES[1:]:
        site_keys[site["site_id"]] = await create_api_key(
            site["site_id"], ["intake", "monitoring"], "soak", None, databases=stack.database_urls,
            namespace=stack.config.namespace,
        )  # fmt: skip
    idle = {s: rss(stack.processes[s].popen.pid) for s in SERVICES if stack.processes[s].popen is not None}
    seconds = args.minutes * 60
    traffic = Traffic(stack.gateway_url, creds, site_keys)
    rates = ", ".join(f"{k} {v * SCALE / seconds:.1f}/s" for k, v in HOUR.items())
    print(f"soak: {args.minutes:.0f} min carrying {SCALE} reference hours ({rates}); memory sampled every 15 s",
          flush=True)  # fmt: skip
    samples, _ = await asyncio.gather(sample(stack, seconds, 15, traffic), traffic.run(seconds))
    samples += await sample(stack, 1, 1)  # the state at the end

    answers = Counter({f"{kind} {status}": n for (kind, status), n in traffic.answers.items()})
    print("answers: " + ", ".join(f"{k}: {n}" for k, n in sorted(answers.items())))
    carried = ", ".join(f"{k} {traffic.sent[k]}/{traffic.planned[k]}" for k in HOUR)
    print(f"sent {sum(traffic.sent.values())} of {sum(traffic.planned.values())} planned requests in "
          f"{seconds / 60:.0f} min ({carried})")  # fmt: skip
    warm_at = args.warmup * 60
    warm = next(s for t, s in samples if t >= warm_at)
    end = samples[-1][1]
    columns = ("idle MB", "warm MB", "end MB", "peak MB", "growth", "bound")
    print(f"\n{'service':12} " + " ".join(f"{c:>8}" for c in columns) + "  verdict")
    verdicts = {}
    for service in SERVICES:
        peak = max(s[service] for _, s in samples)
        growth = end[service] - warm[service]
        bound = max(0.10 * warm[service], 16 * MB)
        verdicts[service] = growth <= bound
        print(f"{service:12} {idle[service] / MB:8.1f} {warm[service] / MB:8.1f} {end[service] / MB:8.1f} "
              f"{peak / MB:8.1f} {growth / MB:+8.1f} {bound / MB:8.1f}  "
              f"{'within' if verdicts[service] else 'GROWING'}")  # fmt: skip
    timeline = {service: [round(s[service] / MB) for _, s in samples[:: max(1, len(samples) // 10)]]
                for service in SERVICES}  # fmt: skip
    print("\nMB over the run (every ~tenth sample): " + json.dumps(timeline))
    if not all(verdicts.values()):
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0, help="minutes before the warm size is taken")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pacs-bench-") as run_dir:
        namespace = f"soak{uuid.uuid4().hex[:6]}"
        config = StackConfig.ephemeral(Path(run_dir), args.amqp_url, None, namespace)
        config.extra_env |= {"NOTIFY_RATE_LIMIT": "1000000"}
        stack = Stack(config)
        try:
            stack.start()
            creds = seed(stack.gateway_url, stack.database_urls, namespace)
            print(f"conditions: {os.cpu_count()} CPUs, Python {platform.python_version()}, one uvicorn worker per")
            print("service, a SecantusDB process per service, RabbitMQ, nginx; the load generator")
            print(f"shares the machine. Reference hour x {SCALE}: {HOUR}\n")
            asyncio.run(soak(stack, creds, args))
        finally:
            stack.stop()
            asyncio.run(delete_namespace(args.amqp_url, namespace, list(SERVICES)))


if __name__ == "__main__":
    main()
