"""Live pages: every console instance hears incident events on a private queue of its own (a shared service
queue would give each event to one instance only) and tells each open page that something changed. A page
then reads its list again through the API, so what it shows stays what its user may see; the event itself
carries nothing to the browser but that an incident changed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

import aio_pika

from pacs_contracts.events import (
    IncidentAcknowledged,
    IncidentEscalated,
    IncidentOnSite,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    SlaBreached,
)
from pacs_kit.topology import Topology

log = logging.getLogger(__name__)
HEARD = (IncidentOpened, IncidentEscalated, IncidentAcknowledged, IncidentOnSite, IncidentResolved, IncidentReopened,
         SlaBreached)  # fmt: skip
BACKLOG = 100  # changes a slow page may fall behind by before it is told to read everything again


class Live:
    def __init__(self) -> None:
        self.pages: set[asyncio.Queue[str]] = set()

    def tell(self, incident_id: str) -> None:
        for page in list(self.pages):
            with contextlib.suppress(asyncio.QueueFull):
                page.put_nowait(incident_id)

    @contextlib.asynccontextmanager
    async def page(self) -> AsyncIterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(BACKLOG)
        self.pages.add(queue)
        try:
            yield queue
        finally:
            self.pages.discard(queue)

    async def listen(self, amqp_url: str, topology: Topology) -> None:
        """Until cancelled: an exclusive, self-deleting queue bound to the incident events."""
        connection = await aio_pika.connect_robust(amqp_url)
        try:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            for event in HEARD:
                await queue.bind(exchange, routing_key=Topology.routing_key(event))
            async with queue.iterator() as messages:
                async for message in messages:
                    async with message.process():
                        payload = json.loads(message.body).get("payload", {})
                        if incident_id := payload.get("incident_id"):
                            self.tell(str(incident_id))
        finally:
            await connection.close()
