"""Mixed read/write API traffic through the gateway, and fault-to-notification latency under that load.

Starts its own stack (a SecantusDB per service, the five services, nginx) with notify's push channel pointed at an
ntfy-shaped server in this process, then measures, in one run:

1. the baseline: the gateway answering `/healthz` itself, closed loop at the same concurrency (what this
   client, nginx and the machine allow before any service is involved);
2. faults alone: `--fault-rate` faults per second (open loop) and the time from each 202 to the push
   provider's request for it;
3. the same fault stream while `--clients` closed-loop clients run the mix below, with each operation's
   throughput and latency. The difference between 2 and 3 is what the load costs a fault's notification.

The mix, by weight: a call agent lists open incidents (30) and reads one (20), logs a call (10); an
admin reads the notification log (10); a HIS reads back one of its faults (15) and posts a fault (15).
Usage: python bench/mixed.py [--clients 16] [--seconds 20] [--fault-rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

import httpx

from bench.common import percentile
from bench.notify import PushServer, load, pushing_stack
from pacs_devstack.seed import DemoCredentials
from pacs_devstack.stack import Stack
from tests.support import eventually, make_fault

Op = Callable[[], Awaitable[httpx.Response]]


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.0f}" if values else "-"


class Mix:
    """The weighted operations, each with the credential its user would hold."""

    def __init__(self, gateway: str, creds: DemoCredentials) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        self.agent = httpx.AsyncClient(base_url=gateway, limits=limits, timeout=30,
                                       headers={"Authorization": f"Bearer {creds.agent_token}"})  # fmt: skip
        self.admin = httpx.AsyncClient(base_url=gateway, limits=limits, timeout=30,
                                       headers={"Authorization": f"Bearer {creds.admin_token}"})  # fmt: skip
        self.his = httpx.AsyncClient(base_url=gateway, limits=limits, timeout=30,
                                     headers={"X-API-Key": creds.his_api_key})  # fmt: skip
        self.site = creds.his_site_id
        self.incidents: list[str] = []
        self.faults: list[str] = []
        self.ops: list[tuple[str, int, Op]] = [
            ("GET /incidents (agent)", 30, lambda: self.agent.get("/api/v1/incidents", params={"limit": 20})),
            ("GET /incidents/{id} (agent)", 20, self._one_incident),
            ("POST /calls (agent)", 10, self._call),
            ("GET /notifications (admin)", 10, lambda: self.admin.get("/api/v1/notifications", params={"limit": 20})),
            ("GET /faults/{id} (HIS)", 15, self._one_fault),
            ("POST /faults (HIS)", 15, self._fault),
        ]

    async def close(self) -> None:
        for client in (self.agent, self.admin, self.his):
            await client.aclose()

    async def prime(self) -> None:
        """Some incidents and faults to read back, made before the clock starts."""
        for _ in range(20):
            await self._fault()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.incidents:
            page = (await self.agent.get("/api/v1/incidents", params={"limit": 50})).json()
            self.incidents = [i["incident_id"] for i in page["items"]]
            await asyncio.sleep(0.2)

    async def _one_incident(self) -> httpx.Response:
        return await self.agent.get(f"/api/v1/incidents/{random.choice(self.incidents)}")

    async def _one_fault(self) -> httpx.Response:
        return await self.his.get(f"/api/v1/faults/{random.choice(self.faults)}")

    async def _fault(self) -> httpx.Response:
        response = await self.his.post("/api/v1/faults", json=make_fault(self.site, code="BENCH-MIX"))
        if response.status_code == 202:
            self.faults.append(response.json()["fault_id"])
        return response

    async def _call(self) -> httpx.Response:
        body = {"site_id": self.site, "caller_role": "radiographer", "description": "Viewer freezes on load"}
        return await self.agent.post("/api/v1/calls", json=body)

    async def run(self, clients: int, seconds: float) -> dict[str, tuple[list[float], int]]:
        """Closed loop: each client picks an operation by weight, waits for its answer, picks the next."""
        seen: dict[str, tuple[list[float], int]] = defaultdict(lambda: ([], 0))
        names, weights = [o[0] for o in self.ops], [o[1] for o in self.ops]
        by_name = {o[0]: o[2] for o in self.ops}
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                name = random.choices(names, weights)[0]
                started = time.perf_counter()
                response = await by_name[name]()
                took = time.perf_counter() - started
                latencies, errors = seen[name]
                if response.is_success:
                    latencies.append(took)
                else:
                    seen[name] = (latencies, errors + 1)

        await asyncio.gather(*(client() for _ in range(clients)))
        return dict(seen)


async def closed_loop(get: Callable[[], Awaitable[httpx.Response]], clients: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            (await get()).raise_for_status()
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


async def wait_pushed(push: PushServer, accepted: dict[str, float], timeout: float = 120) -> list[float]:
    with contextlib.suppress(AssertionError):  # those still missing are reported as such
        await eventually(lambda: set(accepted) <= set(push.first_seen), timeout=timeout, what="all pushed")
    return [push.first_seen[c] - at for c, at in accepted.items() if c in push.first_seen]


def _latency_line(what: str, offered: int, latencies: list[float]) -> str:
    if not latencies:
        return f"{what}: none of {offered} reached the push server"
    return (f"{what}: {len(latencies)}/{offered} pushed, p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {_ms(latencies, 0.99)} ms, max {max(latencies) * 1000:.0f} ms")  # fmt: skip


async def measure(stack: Stack, creds: DemoCredentials, push: PushServer, args: argparse.Namespace) -> None:
    gateway = stack.gateway_url
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as bare:
        floor = await closed_loop(lambda: bare.get("/healthz"), args.clients, min(args.seconds, 10))
    print(f"baseline, the gateway's own /healthz at {args.clients} clients: {len(floor) / min(args.seconds, 10):.0f}"
          f" req/s, p50 {_ms(floor, 0.5)} ms, p99 {_ms(floor, 0.99)} ms")  # fmt: skip

    alone = await load(gateway, creds.his_api_key, creds.his_site_id, args.fault_rate, args.seconds)
    quiet = await wait_pushed(push, alone)
    print(_latency_line(f"faults alone at {args.fault_rate:.0f}/s, accepted -> push", len(alone), quiet))

    mix = Mix(gateway, creds)
    await mix.prime()
    push.first_seen.clear()
    started = time.perf_counter()
    mixed, loaded = await asyncio.gather(
        mix.run(args.clients, args.seconds),
        load(gateway, creds.his_api_key, creds.his_site_id, args.fault_rate, args.seconds, first=100_000),
    )
    elapsed = time.perf_counter() - started
    busy = await wait_pushed(push, loaded)
    await mix.close()
    total = sum(len(lat) for lat, _ in mixed.values())
    print(f"\nmixed traffic, {args.clients} closed-loop clients for {args.seconds:.0f} s, with the fault stream:")
    print(f"{'operation':34} {'ok/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7}")
    for name, _, _ in mix.ops:
        latencies, errors = mixed.get(name, ([], 0))
        print(f"{name:34} {len(latencies) / elapsed:7.1f} {_ms(latencies, 0.5):>7} {_ms(latencies, 0.99):>7} "
              f"{errors:7d}")  # fmt: skip
    print(f"{'all':34} {total / elapsed:7.1f}")
    print(_latency_line(f"faults at {args.fault_rate:.0f}/s under the mix, accepted -> push", len(loaded), busy))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16, help="closed-loop clients running the mix")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fault-rate", type=float, default=10.0, help="faults per second whose push is timed")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()

    with PushServer() as push, pushing_stack(args.amqp_url, push, unlimited_gateway=True) as (stack, creds):
        print(f"conditions: {os.cpu_count()} CPUs, Python {platform.python_version()}, one uvicorn worker per")
        print("service, a SecantusDB process per service, RabbitMQ, nginx (per-credential limit")
        print("lifted); the load generator and the push server share the machine.\n")
        asyncio.run(measure(stack, creds, push, args))


if __name__ == "__main__":
    main()
