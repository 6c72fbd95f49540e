"""The ceilings the benchmarks compare the services with, on the same uvicorn.

`/raw` reads the body and answers, as cheaply as the server allows; `/validate` is a FastAPI route
that parses the body into the same MetricBatch contract and answers, without evaluating anything.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
from fastapi import FastAPI, Request, Response

from pacs_contracts.api import FaultCreate, MetricBatch

app = FastAPI()
ACCEPTED = b'{"accepted":0}'


@app.post("/raw")
async def raw(request: Request) -> Response:
    await request.body()
    return Response(ACCEPTED, status_code=202, media_type="application/json")


@app.post("/validate", status_code=202)
async def validate(batch: MetricBatch) -> dict[str, Any]:
    return {"accepted": len(batch.samples)}


def publish_app() -> FastAPI:
    """The ceiling of a fault's own path: a FastAPI route that validates the fault and publishes it with a broker
    confirm (persistent, to a quorum queue) before its 202, with no database. `CEILING_AMQP_URL`, `CEILING_QUEUE`."""
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        connection = await aio_pika.connect(os.environ["CEILING_AMQP_URL"])
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(os.environ["CEILING_QUEUE"], durable=True,
                                            arguments={"x-queue-type": "quorum"})  # fmt: skip
        state["exchange"], state["queue"] = channel.default_exchange, queue.name
        yield
        await queue.delete(if_unused=False, if_empty=False)
        await connection.close()

    ceiling = FastAPI(lifespan=lifespan)

    @ceiling.post("/api/v1/faults", status_code=202)
    async def fault(body: FaultCreate) -> dict[str, str]:
        message = aio_pika.Message(body.model_dump_json().encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await state["exchange"].publish(message, routing_key=state["queue"])
        return {"status": "accepted"}

    return ceiling
