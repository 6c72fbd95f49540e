"""What the benchmarks share: percentiles, and closed-loop clients posting for a while."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx


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
