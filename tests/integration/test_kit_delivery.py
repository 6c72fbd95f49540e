"""The kit's delivery guarantees on the real broker and database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import aio_pika
import pytest
from fastapi import FastAPI

from pacs_contracts import Envelope
from pacs_contracts.events import SiteRegistered, SlaTick
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit, ServiceSpec, build_service
from pacs_kit.settings import ServiceSettings
from pacs_kit.uow import Tx
from tests.integration.conftest import running
from tests.support import eventually


class Effects(Repository):
    """Every handler run leaves one document, so a second run would be visible."""

    collection_name = "effects"


class ProbeDeps:
    def __init__(self, kit: Kit) -> None:
        self.effects = Effects(kit.mongo)

    def repositories(self) -> list[Repository]:
        return [self.effects]


async def on_tick(event: SlaTick, *, tx: Tx, deps: ProbeDeps) -> None:
    await deps.effects.collection.insert_one({"_id": uuid.uuid4().hex, "sequence": event.sequence}, session=tx.session)
    await tx.emit(SiteRegistered(site_id=f"S{event.sequence}", name="n", region="r", account_engineer_id="E"))


def probe_app(settings: ServiceSettings) -> FastAPI:
    return build_service(
        ServiceSpec(name="probe", settings=settings, build_deps=ProbeDeps, handlers={SlaTick: on_tick})
    )


async def _publish(amqp_url: str, namespace: str, envelope: Envelope, times: int = 1) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{namespace}.events")
        for _ in range(times):
            body = envelope.model_dump_json().encode()
            await exchange.publish(aio_pika.Message(body, message_id=str(envelope.event_id)), routing_key=envelope.type)


async def test_a_redelivered_event_is_handled_once_and_its_event_published_once(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    app = probe_app(settings_for(ServiceSettings, service_name="probe"))
    deps: ProbeDeps = app.state.deps
    published = await tap(SiteRegistered.type)
    async with running(app):
        envelope = Envelope.wrap(SlaTick(at="2026-01-01T00:00:00Z", sequence=7), producer="test")
        await _publish(amqp_url, namespace, envelope, times=3)
        other = Envelope.wrap(SlaTick(at="2026-01-01T00:00:01Z", sequence=8), producer="test")
        await _publish(amqp_url, namespace, other)  # arrives after the three copies
        await eventually(
            lambda: deps.effects.collection.count_documents({"sequence": 8}), timeout=10, what="later event handled"
        )
        assert await deps.effects.collection.count_documents({"sequence": 7}) == 1

        relayed = await published.at_least(2, timeout=10, what="both events relayed")
        assert sorted(m["payload"]["site_id"] for m in relayed) == ["S7", "S8"]


async def test_events_of_a_failed_transaction_are_never_published(
    namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    app = probe_app(settings_for(ServiceSettings, service_name="probe"))
    kit: Kit = app.state.kit
    published = await tap(SiteRegistered.type)
    async with running(app):

        async def fails(tx: Tx) -> None:
            await tx.emit(SiteRegistered(site_id="LOST", name="n", region="r", account_engineer_id="E"))
            raise RuntimeError("the state change failed")

        async def succeeds(tx: Tx) -> None:
            await tx.emit(SiteRegistered(site_id="KEPT", name="n", region="r", account_engineer_id="E"))

        with pytest.raises(RuntimeError):
            await kit.uow.run(fails)
        await kit.uow.run(succeeds)

        async def relayed() -> list[str]:
            return [m["payload"]["site_id"] for m in await published.drain()]

        assert await eventually(relayed, timeout=10, what="the committed event relayed") == ["KEPT"]

        async def outbox_empty() -> bool:  # the failed transaction left nothing; the sent event is removed
            return await kit.outbox.collection.count_documents({}) == 0

        await eventually(outbox_empty, timeout=10, what="an empty outbox")
