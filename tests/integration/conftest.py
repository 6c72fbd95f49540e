"""Services run in-process against the real broker and database, each test on its own namespace."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aio_pika
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from tests.support import eventually


@contextlib.asynccontextmanager
async def running(app: FastAPI, headers: dict[str, str] | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan (database, broker, consumers) and give an HTTP client to it."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc", headers=headers) as client:
            yield client


class Tap:
    """A private queue bound to some event types on a namespace's exchange."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
        self.queue = queue
        self.received: list[dict[str, Any]] = []

    async def drain(self) -> list[dict[str, Any]]:
        while (message := await self.queue.get(fail=False)) is not None:
            self.received.append(json.loads(message.body))
            await message.ack()
        return self.received

    async def at_least(self, count: int, *, timeout: float, what: str) -> list[dict[str, Any]]:
        """Everything received so far, once it is at least `count` messages."""

        async def enough() -> list[dict[str, Any]] | None:
            received = await self.drain()
            return received if len(received) >= count else None

        result: list[dict[str, Any]] = await eventually(enough, timeout=timeout, what=what)
        return result


@pytest.fixture
async def tap(amqp_url: str, namespace: str) -> AsyncIterator[Callable[..., Any]]:
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()

    async def bind(*routing_keys: str) -> Tap:
        exchange = await channel.declare_exchange(f"{namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True)
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)
        return Tap(queue)

    yield bind
    await connection.close()


@pytest.fixture
def settings_for(amqp_url: str, mongodb_urls: dict[str, str], namespace: str) -> Callable[..., Any]:
    """A service's settings on the test's namespace and that service's own database server."""

    def build(cls: type, **overrides: Any) -> Any:
        service = overrides.get("service_name") or cls.model_fields["service_name"].default  # type: ignore[attr-defined]
        # a test's own probe service shares intake's; a test may bring a server of its own
        url = overrides.pop("mongodb_url", None) or mongodb_urls.get(service, mongodb_urls["intake"])
        return cls(amqp_url=amqp_url, mongodb_url=url, bus_namespace=namespace, environment="test", **overrides)

    return build
