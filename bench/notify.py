"""Notify latency: from a fault accepted at the gateway to the push provider's HTTP request, at a set rate.

Starts its own stack (a SecantusDB per service, the five services, nginx) on free ports with notify's push channel
pointed at an ntfy-shaped HTTP server in this process, gives the demo site's account engineer an
ntfy push target, then posts faults through the gateway at `--rate` per second for `--seconds`.
Each fault carries a unique code, which the incident's summary and so the message carry; the
server notes when each code first arrives (several may arrive bundled in one message). The
baseline, measured in the same run: a bare HTTP POST from this process to the same server.
Usage: python bench/notify.py [--rate 100] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.common import cpu_seconds, percentile, print_cpu_per
from pacs_devstack.seed import DemoCredentials, seed
from pacs_devstack.stack import SERVICES, Stack, StackConfig
from tests.support import delete_namespace

CODE = re.compile(r"BENCH-\d{6}")


class PushServer:
    """Answers like ntfy and notes when each fault code first reached it."""

    def __init__(self) -> None:
        self.first_seen: dict[str, float] = {}
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        app = Starlette(routes=[Route("/{topic}", self.publish, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    async def publish(self, request: Request) -> JSONResponse:
        at = time.time()
        self.requests += 1
        for code in CODE.findall((await request.body()).decode("utf-8", "replace")):
            self.first_seen.setdefault(code, at)
        return JSONResponse({"id": uuid.uuid4().hex[:12], "event": "message"})

    def __enter__(self) -> PushServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


async def load(gateway: str, key: str, site: str, rate: float, seconds: float, first: int = 0) -> dict[str, float]:
    """Open-loop: one fault every 1/rate s, whatever the answers; the accepted time per code (numbered from
    `first`, so that two runs against one stack never share a code)."""
    accepted: dict[str, float] = {}
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    async with httpx.AsyncClient(base_url=gateway, headers={"X-API-Key": key}, limits=limits, timeout=30) as client:

        async def one(n: int) -> None:
            code = f"BENCH-{first + n:06d}"
            body = {"site_id": site, "external_ref": f"B{uuid.uuid4().hex[:16]}", "code": code,
                    "description": "benchmark fault"}  # fmt: skip
            response = await client.post("/api/v1/faults", json=body)
            if response.status_code == 202:
                accepted[code] = time.time()

        tasks = []
        started = time.monotonic()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return accepted


@contextlib.contextmanager
def pushing_stack(
    amqp_url: str, push: PushServer, unlimited_gateway: bool = False
) -> Iterator[tuple[Stack, DemoCredentials]]:
    """A stack of its own with notify's push channel at `push` and the demo engineer's push target set; its
    namespace is removed from the broker afterwards. `unlimited_gateway` lifts the per-credential limit."""
    with tempfile.TemporaryDirectory(prefix="pacs-bench-") as run_dir:
        namespace = f"bench{uuid.uuid4().hex[:6]}"
        config = StackConfig.ephemeral(Path(run_dir), amqp_url, None, namespace)
        if unlimited_gateway:
            config.gateway_rate, config.gateway_burst = 100_000, 100_000
        config.extra_env |= {"NOTIFY_PUSH_PROVIDERS": '["ntfy"]', "NOTIFY_NTFY_BASE_URL": push.url,
                             "NOTIFY_RATE_LIMIT": "1000000"}  # fmt: skip
        stack = Stack(config)
        try:
            stack.start()
            creds = seed(stack.gateway_url, stack.database_urls, namespace)
            contacts = {"push": [{"provider": "ntfy", "address": "bench-eng"}], "rules": [{"channel": "push"}]}
            response = httpx.put(f"{stack.gateway_url}/api/v1/engineers/ENG-EAST-1/contacts", json=contacts,
                                 headers={"Authorization": f"Bearer {creds.admin_token}"})  # fmt: skip
            response.raise_for_status()
            yield stack, creds
        finally:
            stack.stop()
            asyncio.run(delete_namespace(amqp_url, namespace, list(SERVICES)))


async def baseline(url: str, count: int = 500) -> list[float]:
    async with httpx.AsyncClient() as client:
        times = []
        for _ in range(count):
            started = time.perf_counter()
            await client.post(f"{url}/baseline", content=b"x")
            times.append(time.perf_counter() - started)
    return times


IDLE_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="faults per second offered")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()

    with PushServer() as push, pushing_stack(args.amqp_url, push) as (stack, creds):
        print(f"conditions: {os.cpu_count()} CPUs, Python {platform.python_version()}, one uvicorn worker per")
        print("service, a SecantusDB process per service, RabbitMQ, nginx; the load generator and the push server")
        print("share the machine. Every fault goes to one engineer (rate limit lifted).")
        idle_from = cpu_seconds(stack.processes)
        time.sleep(IDLE_SECONDS)  # what the platform spends doing nothing: clocks, pollers, gauges
        cpu_before = cpu_seconds(stack.processes)
        idle = {name: (cpu_before[name] - idle_from.get(name, 0.0)) / IDLE_SECONDS for name in cpu_before}
        loaded_from = time.monotonic()
        accepted = asyncio.run(load(stack.gateway_url, creds.his_api_key, creds.his_site_id, args.rate,
                                    args.seconds))  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not set(accepted) <= set(push.first_seen):
            time.sleep(0.2)
        cpu_after = cpu_seconds(stack.processes)
        loaded = time.monotonic() - loaded_from
        requests = push.requests
        floor = asyncio.run(baseline(push.url))

    latencies = [push.first_seen[c] - at for c, at in accepted.items() if c in push.first_seen]
    offered = int(args.rate * args.seconds)
    print(f"\noffered {offered} faults at {args.rate:.0f}/s over {args.seconds:.0f} s; accepted {len(accepted)}; "
          f"{len(latencies)} reached the push server in {requests} requests (bundled)")  # fmt: skip
    if latencies:
        print(f"fault accepted -> push provider request: p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
              "(goal: p99 under 250 ms)")  # fmt: skip
    print(f"baseline, a bare POST to the same server: p50 {statistics.median(floor) * 1000:.1f} ms, "
          f"p99 {percentile(floor, 0.99) * 1000:.1f} ms")  # fmt: skip
    if accepted:
        print(f"\nidle, the platform used {100 * sum(idle.values()):.0f} % of a core (clocks, pollers, gauges)")
        print_cpu_per("fault", len(accepted), cpu_before, cpu_after)
        beyond = {name: used - idle.get(name, 0.0) * loaded for name, used in cpu_after.items()}
        print_cpu_per("fault", len(accepted), cpu_before, beyond, ", beyond what the idle platform spends")


if __name__ == "__main__":
    main()
