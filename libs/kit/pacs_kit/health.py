"""Liveness, readiness and the Prometheus endpoint."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pacs_kit import build
from pacs_kit.loop import WorkLoop

if TYPE_CHECKING:
    from pacs_kit.service import Kit

log = logging.getLogger(__name__)
health_router = APIRouter(include_in_schema=False)


@health_router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "alive", "version": build.version(), "lock": build.lock_id()}


@health_router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers, the broker is connected and our consumer is attached."""
    kit: Kit = request.app.state.kit
    checks: dict[str, str] = {"database": "ok" if await kit.mongo.ping() else "unreachable"}
    try:
        _, consumers = await kit.bus.queue_stats(kit.topology.queue) if kit.consumes else (0, 1)
        checks["broker"] = "ok"
        checks["consumers"] = "ok" if consumers > 0 and (kit.bus.consuming or not kit.consumes) else "none attached"
    except Exception as exc:  # any broker failure means "not ready", reported, not raised
        checks["broker"] = f"unreachable: {type(exc).__name__}"
        checks["consumers"] = "unknown"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )


@health_router.get("/metrics")
async def metrics(request: Request) -> Response:
    kit: Kit = request.app.state.kit
    return Response(generate_latest(kit.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def refresh_queue_gauges(kit: Kit, every: float = 5.0) -> None:
    """Keep DLQ depth, consumer count and outbox backlog current for scraping. While a dependency is away the
    gauges go stale (the loop logs and retries); readiness reports it."""

    async def refresh() -> None:
        if kit.consumes:
            depth, _ = await kit.bus.queue_stats(kit.topology.dlq)
            _, consumers = await kit.bus.queue_stats(kit.topology.queue)
            kit.metrics.dlq_depth.set(depth)
            kit.metrics.consumers.set(consumers)
        pending, age = await kit.outbox.backlog()
        kit.metrics.outbox_pending.set(pending)
        kit.metrics.outbox_lag.set(age)

    await WorkLoop.every("queue gauges", every, refresh).run()
