"""The gateway admits so many requests a second per credential: past it, a 429 problem with Retry-After for
that credential only, while another credential and the services go on as before."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx

from pacs_devstack.processes import free_port
from pacs_devstack.stack import Stack
from tests.e2e.conftest import Platform
from tests.support import eventually

RATE, BURST = 2, 5


@contextlib.contextmanager
def strict_gateway(platform: Platform, run_dir: Path) -> Iterator[str]:
    """A second gateway in front of the same services, with a small per-credential allowance."""
    config = dataclasses.replace(platform.stack.config, run_dir=run_dir, gateway_port=free_port(),
                                 gateway_rate=RATE, gateway_burst=BURST)  # fmt: skip
    gateway = Stack(config)
    gateway.start_gateway()
    try:
        yield gateway.gateway_url
    finally:
        gateway.stop()


async def test_one_credential_past_its_allowance_gets_429_and_the_others_do_not(
    platform: Platform, tmp_path: Path
) -> None:
    with strict_gateway(platform, tmp_path) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            busy = {"X-API-Key": platform.his_key}
            answers = await asyncio.gather(*(client.get("/api/v1/faults/F-NONE", headers=busy) for _ in range(30)))
            statuses = [a.status_code for a in answers]
            assert statuses.count(429) >= 30 - BURST - 1 - RATE, statuses  # the burst and a token or two pass
            assert set(statuses) <= {404, 429}, "the admitted ones reach intake"
            refused = next(a for a in answers if a.status_code == 429)
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "1" and refused.json()["status"] == 429

            other = await client.get("/api/v1/faults/F-NONE", headers={"X-API-Key": platform.other_key})
            assert other.status_code == 404, "another credential has its own allowance"

            async def admitted() -> bool:  # the allowance refills at RATE a second
                return (await client.get("/api/v1/faults/F-NONE", headers=busy)).status_code == 404

            await eventually(admitted, timeout=5, what="the busy credential admitted again", interval=0.5)
