"""The handler tier: a service's event handlers driven through the kit's consumer and unit of work against that
service's real database, without the broker. A test hands in events, then looks at what the service stored and
what it put in its outbox to publish. Fast enough to run on every save: `make handlers`."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from pacs_contracts import Envelope, Event
from pacs_kit.consumer import Consumer
from pacs_kit.service import Kit


@dataclass
class Bench:
    """One service, built as it runs (settings, kit, deps, handler table), its database empty at the start."""

    kit: Kit
    deps: Any
    consumer: Consumer

    async def deliver(self, *events: Event | Envelope, correlation_id: str | None = None) -> list[str]:
        """Hand the events in together, as one batch off the queue: what each came to ("handled", "duplicate")."""
        envelopes = [e if isinstance(e, Envelope) else self.envelope(e, correlation_id=correlation_id) for e in events]
        return await self.consumer.handle(envelopes)

    @staticmethod
    def envelope(event: Event, *, correlation_id: str | None = None) -> Envelope:
        return Envelope.wrap(event, producer="tests", correlation_id=correlation_id)

    async def emitted(self, *types: str) -> list[dict[str, Any]]:
        """The envelopes waiting in the outbox (nothing relays them here), oldest first, of the given types."""
        rows = await self.kit.outbox.collection.find({}).sort("created_at", 1).to_list()
        envelopes = [row["envelope"] for row in rows]
        return [e for e in envelopes if not types or e["type"] in types]

    async def stored(self, collection: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return await self.kit.mongo.db[collection].find(query or {}).to_list()


@pytest.fixture
async def bench(mongodb_urls: dict[str, str]) -> AsyncIterator[Callable[..., Any]]:
    """`await bench("notify", **settings)`: the service on a database of its own, dropped afterwards."""
    made: list[Bench] = []

    async def build(service: str, **overrides: Any) -> Bench:
        module = importlib.import_module(f"pacs_{service}.main")
        settings_cls = _settings_class(service)
        namespace = f"h{uuid.uuid4().hex[:10]}"
        settings = settings_cls(mongodb_url=mongodb_urls[service], bus_namespace=namespace, environment="test",
                                **overrides)  # fmt: skip
        app = module.create_app(settings)
        kit: Kit = app.state.kit
        deps = app.state.deps
        await kit.ensure_indexes(deps)
        consumer = Consumer(app.state.handlers, deps, kit.uow, kit.inbox, kit.metrics, _no_dead_letters)
        made.append(Bench(kit, deps, consumer))
        return made[-1]

    yield build
    for each in made:
        await each.kit.mongo.client.drop_database(each.kit.settings.database)
        await each.kit.mongo.close()


def _settings_class(service: str) -> type:
    module = importlib.import_module(f"pacs_{service}.settings")
    (cls,) = [v for k, v in vars(module).items() if k.endswith("Settings") and k.lower().startswith(service)]
    return cls


async def _no_dead_letters(message: Any, reason: str) -> None:
    raise AssertionError(f"the handler tier dead-lettered a message: {reason}")


def types_of(envelopes: Iterable[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in envelopes]
