"""What the benchmarks share: percentiles, and closed-loop clients posting for a while."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def post_for(client: httpx.AsyncClient, path: str, body: Callable[[], dict[str, Any] | bytes],
                   concurrency: int, seconds: float) -> tuple[int, int, list[float]]:  # fmt: skip
    """`concurrency` clients post as fast as answers come for `seconds`: (accepted, errors, latencies of the 202s)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            payload = body()
            started = time.perf_counter()
            if isinstance(payload, bytes):
                response = await client.post(path, content=payload)
            else:
                response = await client.post(path, json=payload)
            if response.status_code == 202:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), errors, latencies


def db_commands(service_urls: dict[str, str]) -> dict[str, dict[str, float]]:
    """Each service's database commands sent so far, by origin (request, event, background), from its /metrics."""
    counts: dict[str, dict[str, float]] = {}
    for service, url in service_urls.items():
        text = httpx.get(url + "/metrics", timeout=10).text
        per_origin: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            if family.name == "pacs_db_commands":
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        origin = sample.labels["origin"]
                        per_origin[origin] = per_origin.get(origin, 0.0) + sample.value
        counts[service] = per_origin
    return counts


def settled_commands(
    service_urls: dict[str, str], quiet: float = 3.0, timeout: float = 120.0
) -> dict[str, dict[str, float]]:
    """The command counts once the work behind a load has drained: no service's event or request count moved
    for `quiet` seconds (background pollers keep ticking and are not waited on), or `timeout` passed."""
    deadline = time.monotonic() + timeout
    last = db_commands(service_urls)
    still_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = db_commands(service_urls)
        moved = any(now[s].get(o, 0) != last[s].get(o, 0) for s in now for o in ("request", "event"))
        if moved:
            still_since = time.monotonic()
        elif time.monotonic() - still_since >= quiet:
            return now
        last = now
    return last


def print_commands_per(what: str, count: int, before: dict[str, dict[str, float]],
                       after: dict[str, dict[str, float]]) -> None:  # fmt: skip
    """A table of database commands per `what` and service, by origin."""
    print(f"\ndatabase commands per {what} ({count} {what}s), by service and origin:")
    print(f"{'service':>12} {'request':>8} {'event':>8} {'background':>11} {'total':>8}")
    grand = 0.0
    for service in after:
        cells = {o: (after[service].get(o, 0) - before[service].get(o, 0)) / count for o in
                 ("request", "event", "background")}  # fmt: skip
        total = sum(cells.values())
        grand += total
        print(
            f"{service:>12} {cells['request']:>8.2f} {cells['event']:>8.2f} {cells['background']:>11.2f} {total:>8.2f}"
        )
    print(f"{'all':>12} {'':>8} {'':>8} {'':>11} {grand:>8.2f}")


def cpu_seconds(processes: dict[str, Any]) -> dict[str, float]:
    """CPU time (user and system) each running process of a devstack has used so far, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for name, process in processes.items():
        if process.popen is None or not process.running:
            continue
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{process.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14 and 15)
    return used


def print_cpu_per(what: str, count: int, before: dict[str, float], after: dict[str, float], note: str = "") -> None:
    """CPU milliseconds each process spent per `what`: where a fault's cost goes on a machine of few cores."""
    costs = {name: 1000 * (after[name] - before.get(name, 0.0)) / count for name in after}
    print(f"\nCPU per {what}{note} ({count}), by process, in ms (the load generator and push server not counted):")
    print("  " + ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(costs.items(), key=lambda kv: -kv[1])))
    print(
        f"  all: {sum(costs.values()):.1f} ms, so {os.cpu_count()} cores carry about "
        f"{1000 * (os.cpu_count() or 1) / max(sum(costs.values()), 1e-9):.0f} {what}s/s at most"
    )
