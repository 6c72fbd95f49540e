"""An operator inspects a service's dead letters, fixes the cause, and replays them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx

from pacs_contracts import Envelope
from pacs_contracts.events import FaultReported
from pacs_devstack.seed import SITES
from tests.e2e.conftest import Platform
from tests.support import eventually, publish, queue_stats


def _admin_cli(platform: Platform, amqp_url: str, *args: str) -> str:
    env = {**os.environ, "AMQP_URL": amqp_url, "BUS_NAMESPACE": platform.namespace}
    result = subprocess.run(
        [sys.executable, "-m", "pacs_kit.cli", *args], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


async def test_a_fault_for_a_site_registered_late_is_replayed_from_the_dlq(
    platform: Platform, amqp_url: str, admin: httpx.AsyncClient
) -> None:
    dlq = f"{platform.namespace}.escalation.dlq"
    before, _ = await queue_stats(amqp_url, dlq)
    late = FaultReported(
        fault_id="F-LATE-1", site_id="SITE-LATE", source="his", code="PACS-DOWN", severity="critical",
        description="late site", reported_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    envelope = Envelope.wrap(late, producer="test", correlation_id=late.fault_id)
    await publish(amqp_url, platform.namespace, envelope)

    async def dead_lettered() -> bool:
        return (await queue_stats(amqp_url, dlq))[0] > before

    await eventually(dead_lettered, timeout=30, what="the fault for an unknown site dead-lettered")
    listing = await asyncio.to_thread(_admin_cli, platform, amqp_url, "dlq-list", "--service", "escalation")
    assert str(envelope.event_id) in listing and "fault.reported" in listing

    site = {"site_id": "SITE-LATE", "name": "Late Hospital", "region": "east",
            "account_engineer_id": SITES[0]["account_engineer_id"]}  # fmt: skip
    assert (await admin.post("/api/v1/sites", json=site)).status_code == 201
    replayed = await asyncio.to_thread(_admin_cli, platform, amqp_url, "dlq-replay", "--service", "escalation")
    assert replayed.startswith("replayed ")

    async def opened() -> bool:
        return (await admin.get("/api/v1/incidents", params={"fault_id": "F-LATE-1", "total": "true"})).json()[
            "total"
        ] == 1

    await eventually(opened, timeout=15, what="the replayed fault opening its incident")
