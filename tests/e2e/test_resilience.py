"""Nothing is lost when a process dies, a message is poison, or the broker restarts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
import uuid
from collections import Counter

import aio_pika
import httpx
import pytest

from pacs_contracts import Envelope
from pacs_contracts.events import FaultReported
from pacs_kit.dlq import inspect as dlq_inspect
from pacs_kit.topology import Topology
from tests.e2e.conftest import Platform
from tests.support import all_ready, eventually, every_item, make_fault, queue_stats, rabbitmqctl

CONSUMING = ("intake", "escalation", "notify")


async def test_escalation_killed_mid_load_loses_nothing_and_doubles_nothing(
    platform: Platform, his: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    accepted: list[str] = []
    limit = asyncio.Semaphore(25)

    async def post() -> None:
        async with limit:
            response = await his.post("/api/v1/faults", json=make_fault(platform.site_id))
            assert response.status_code == 202, response.text
            accepted.append(response.json()["fault_id"])

    load = [asyncio.create_task(post()) for _ in range(200)]
    await eventually(lambda: len(accepted) >= 40, timeout=30, what="first 40 faults accepted")
    platform.stack.kill("escalation")
    await asyncio.gather(*load)
    await asyncio.to_thread(platform.stack.restart, "escalation")
    assert len(accepted) == 200

    wanted = set(accepted)

    async def incidents_for_all() -> list[dict]:
        mine = [i for i in await every_item(admin, "/api/v1/incidents") if i["fault_id"] in wanted]
        return mine if {i["fault_id"] for i in mine} == wanted else []

    # Up to a batch of faults may wait for the database to expire the killed process's open transaction
    # (60 s, as mongod's transactionLifetimeLimitSeconds), hence the long deadline.
    mine = await eventually(incidents_for_all, timeout=150, what="an incident for every accepted fault")
    per_fault = Counter(i["fault_id"] for i in mine)
    assert max(per_fault.values()) == 1, "no fault has two incidents"

    incident_ids = {i["incident_id"] for i in mine}

    async def all_notified() -> list[dict]:
        sent = [
            n
            for n in await every_item(admin, "/api/v1/notifications")
            if n["incident_id"] in incident_ids and n["sent_at"]
        ]
        return sent if {n["incident_id"] for n in sent} == incident_ids else []

    sent = await eventually(all_notified, timeout=60, what="a notification for every incident")
    assert max(Counter(n["incident_id"] for n in sent).values()) == 1
    lines = [json.loads(line) for line in platform.notification_lines()]
    delivered = Counter(i for m in lines for i in m["incident_ids"] if i in incident_ids)  # bundled or alone
    assert set(delivered) == incident_ids and max(delivered.values()) == 1, "each engineer message delivered once"


async def test_poison_messages_end_in_the_dlq_and_the_service_keeps_consuming(
    platform: Platform, amqp_url: str, his: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    dlq = f"{platform.namespace}.escalation.dlq"
    before, _ = await queue_stats(amqp_url, dlq)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{platform.namespace}.events")
        # not an envelope at all
        await exchange.publish(aio_pika.Message(b"\x00not json", message_id=str(uuid.uuid4())), FaultReported.type)
        # a valid envelope whose handler fails every time (the site does not exist), until the delivery limit
        orphan = FaultReported(
            fault_id="F-ORPHAN", site_id="SITE-NOWHERE", source="his", code="X", severity="minor",
            description="orphan", reported_at="2026-01-01T00:00:00Z",
        )  # fmt: skip
        envelope = Envelope.wrap(orphan, producer="test")
        await exchange.publish(
            aio_pika.Message(envelope.model_dump_json().encode(), message_id=str(envelope.event_id)),
            FaultReported.type,
        )

    async def dead_lettered() -> bool:
        depth, _ = await queue_stats(amqp_url, dlq)
        return depth >= before + 2

    await eventually(dead_lettered, timeout=30, what="both poison messages in the escalation DLQ")
    letters = await dlq_inspect(amqp_url, Topology(platform.namespace, "escalation"), limit=200)
    reasons = {letter.message_id: letter.reason for letter in letters}
    assert any(r.startswith("not a valid Envelope: body: Invalid JSON") for r in reasons.values()), reasons
    assert reasons[str(envelope.event_id)] == "delivery_limit", "a failing handler is dead-lettered by the broker"

    response = await his.post("/api/v1/faults", json=make_fault(platform.site_id))
    fault_id = response.json()["fault_id"]

    async def opened() -> bool:
        page = (await admin.get("/api/v1/incidents", params={"fault_id": fault_id, "total": "true"})).json()
        return page["total"] == 1

    await eventually(opened, timeout=10, what="a fault after the poison is still handled")


async def test_services_reconnect_after_a_broker_restart(
    platform: Platform, amqp_url: str, his: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await asyncio.to_thread(rabbitmqctl, "stop_app")
    try:
        accepted_while_down = await his.post("/api/v1/faults", json=make_fault(platform.site_id))
    finally:
        await asyncio.to_thread(rabbitmqctl, "start_app")  # always: other suites share this broker
    # the outbox holds the fault until the broker is back: accepted, not lost
    assert accepted_while_down.status_code == 202

    async def consumers_back() -> bool:
        try:
            counts = [(await queue_stats(amqp_url, f"{platform.namespace}.{s}"))[1] for s in CONSUMING]
        except (aio_pika.exceptions.AMQPError, OSError):
            return False
        return all(c >= 1 for c in counts)

    await eventually(consumers_back, timeout=60, what="every service's consumer re-attached", interval=0.5)

    await eventually(lambda: all_ready(platform.stack), timeout=30, what="every service ready again", interval=0.5)

    after = await his.post("/api/v1/faults", json=make_fault(platform.site_id))
    for fault_id in (accepted_while_down.json()["fault_id"], after.json()["fault_id"]):

        async def opened(fid: str = fault_id) -> bool:
            return (await admin.get("/api/v1/incidents", params={"fault_id": fid, "total": "true"})).json()[
                "total"
            ] == 1

        await eventually(opened, timeout=30, what=f"incident for {fault_id} after the restart")


async def test_services_recover_after_a_database_restart(
    platform: Platform, his: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    if not platform.stack.owns_database:
        pytest.skip("MONGODB_URL points at an external database, which this test cannot restart")
    platform.stack.stop_database()
    try:
        refused = await his.post("/api/v1/faults", json=make_fault(platform.site_id))
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) > 0
    finally:
        await asyncio.to_thread(platform.stack.start_database)

    await eventually(
        lambda: all_ready(platform.stack),
        timeout=30,
        what="every service ready after the database restart",
        interval=0.5,
    )
    accepted = await his.post("/api/v1/faults", json=make_fault(platform.site_id))
    assert accepted.status_code == 202
    fault_id = accepted.json()["fault_id"]

    async def notified() -> bool:
        incidents = (await admin.get("/api/v1/incidents", params={"fault_id": fault_id})).json()["items"]
        if not incidents:
            return False
        notes = await admin.get("/api/v1/notifications", params={"incident_id": incidents[0]["incident_id"]})
        return [n["status"] for n in notes.json()["items"]] == ["sent"]

    await eventually(notified, timeout=30, what="a fault after the database restart reaching its engineer")


async def test_a_wedged_database_is_restarted_by_the_supervisor_and_faults_flow_again(
    platform: Platform, his: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    if not platform.stack.owns_database:
        pytest.skip("MONGODB_URL points at an external database, which this test cannot wedge")
    database = platform.stack.processes["database-intake"]
    assert database.popen is not None
    stopping = threading.Event()
    supervisor = threading.Thread(target=platform.stack.supervise_databases, args=(stopping, 1.0, 3), daemon=True)
    supervisor.start()
    try:
        os.kill(database.popen.pid, signal.SIGSTOP)  # alive, holding its port, answering nothing: wedged
        refused = await his.post("/api/v1/faults", json=make_fault(platform.site_id))
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0, refused.text

        async def replaced() -> bool:
            popen = platform.stack.processes["database-intake"].popen
            return popen is not None and popen.pid != database.popen.pid

        await eventually(replaced, timeout=30, what="the wedged database killed and started again")
        await eventually(lambda: all_ready(platform.stack), timeout=30, what="every service ready again")
        accepted = await his.post("/api/v1/faults", json=make_fault(platform.site_id))
        assert accepted.status_code == 202, accepted.text
        fault_id = accepted.json()["fault_id"]

        async def opened() -> bool:
            page = (await admin.get("/api/v1/incidents", params={"fault_id": fault_id})).json()
            return len(page["items"]) == 1

        await eventually(opened, timeout=30, what="an incident for the fault after the restart")
    finally:
        stopping.set()
        with contextlib.suppress(ProcessLookupError):
            os.kill(database.popen.pid, signal.SIGCONT)
        supervisor.join(10)
