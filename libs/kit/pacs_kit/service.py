"""Builds a service from its spec: wiring, lifespan, health, metrics, problems, tracing."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from pacs_kit import site_keys
from pacs_kit.audit import CHAIN_BATCH, AuditLog, AuditMiddleware, ChainMoved
from pacs_kit.audit_api import audit_router
from pacs_kit.auth import ApiKeys, Auth, TokenIssuer, roles_of
from pacs_kit.bus import Bus
from pacs_kit.consumer import Consumer, HandlerTable
from pacs_kit.health import health_router, refresh_queue_gauges
from pacs_kit.inbox import Inbox
from pacs_kit.links import TRACING_EXCLUDED
from pacs_kit.logs import configure_logging
from pacs_kit.loop import WorkLoop
from pacs_kit.metrics import CommandCounter, ServiceMetrics
from pacs_kit.middleware import BodyLimit, HttpMetrics
from pacs_kit.mongo import Mongo, Repository
from pacs_kit.outbox import Outbox, OutboxRelay
from pacs_kit.problems import PROBLEM_RESPONSES, install_problem_handlers
from pacs_kit.settings import ServiceSettings
from pacs_kit.topology import Topology
from pacs_kit.tracing import setup_tracing
from pacs_kit.uow import UnitOfWork

log = logging.getLogger(__name__)
SHUTDOWN_STEP_SECONDS = 8.0
AUDIT_CHAIN_SECONDS = 2.0  # records wait about this long for their place in the chain


class Deps(Protocol):
    """A service's dependencies; the kit only needs to know its repositories."""

    def repositories(self) -> Sequence[Repository]: ...


BackgroundTask = Callable[["Kit", Any], Coroutine[Any, Any, None]]


@dataclass
class ServiceSpec:
    name: str
    settings: ServiceSettings
    build_deps: Callable[[Kit], Deps]
    routers: Sequence[APIRouter] = ()
    handlers: HandlerTable = field(default_factory=dict)
    background: Sequence[BackgroundTask] = ()
    title: str = ""


class Kit:
    """The plumbing every service shares, built once per app."""

    def __init__(self, name: str, settings: ServiceSettings) -> None:
        self.name = name
        self.settings = settings
        self.metrics = ServiceMetrics(name)
        self.mongo = Mongo(settings.mongodb_url, settings.database, [CommandCounter(self.metrics)])
        self.topology = Topology(settings.bus_namespace, name)
        self.bus = Bus(
            settings.amqp_url, self.topology, prefetch=settings.prefetch, delivery_limit=settings.delivery_limit
        )
        self.outbox = Outbox(self.mongo)
        self.inbox = Inbox(self.mongo)
        self.relay = OutboxRelay(self.outbox, self.bus, self.metrics, settings.outbox_poll_seconds)
        self.audit = AuditLog(self.mongo)
        self.audit_retention = timedelta(days=settings.audit_retention_days)
        self.uow = UnitOfWork(self.mongo, self.outbox, self.relay, name, self.audit, self.audit_retention)
        self.auth = Auth(
            api_keys=ApiKeys(self.mongo),
            tokens=TokenIssuer.of(settings),
        )
        self.consumes = False

    async def ensure_indexes(self, deps: Deps) -> None:
        """The kit's collections' indexes and those of the service's repositories (idempotent)."""
        for repo in [self.outbox, self.inbox, self.audit, self.auth.api_keys, *deps.repositories()]:
            await repo.ensure_indexes()


def build_service(spec: ServiceSpec) -> FastAPI:
    """The FastAPI app of one service; nothing connects until the lifespan starts."""
    configure_logging(spec.name)
    setup_tracing(spec.name, spec.settings.otlp_endpoint)
    kit = Kit(spec.name, spec.settings)
    deps = spec.build_deps(kit)
    handlers = {**spec.handlers, **site_keys.handlers(spec.name, kit.auth.api_keys)}
    kit.consumes = bool(handlers)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await kit.mongo.wait_until_reachable(timeout=30)
        await kit.ensure_indexes(deps)
        await kit.bus.connect()
        work: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = [
            ("outbox-relay", kit.relay.run), ("audit-chain", lambda: chain_audit(kit))]  # fmt: skip
        if handlers:
            consumer = Consumer(handlers, deps, kit.uow, kit.inbox, kit.metrics, kit.bus.dead_letter)
            work.append(("consumer", consumer.run))
            await kit.bus.consume(handlers.keys(), consumer.on_message)
        work += [(job.__name__, functools.partial(job, kit, deps)) for job in spec.background]
        work.append(("queue-gauges", lambda: refresh_queue_gauges(kit)))
        tasks = [asyncio.create_task(supervised(name, run, kit.metrics), name=name) for name, run in work]
        log.info("%s ready", spec.name)
        try:
            yield
        finally:
            await _shut_down(spec.name, tasks, kit)

    app = FastAPI(title=spec.title or f"PACS Service Ops — {spec.name}", version="1.0.0", lifespan=lifespan)
    app.state.kit = kit
    app.state.deps = deps
    app.state.handlers = handlers
    install_problem_handlers(app)
    app.include_router(health_router)
    app.include_router(state_roles(audit_router(spec.name)), responses=PROBLEM_RESPONSES)
    for router in spec.routers:
        state_roles(router)
        app.include_router(router, responses=PROBLEM_RESPONSES)
    FastAPIInstrumentor.instrument_app(app, excluded_urls=f"healthz,readyz,metrics,{TRACING_EXCLUDED}")
    app.add_middleware(AuditMiddleware, log=kit.audit, service=spec.name, retention=kit.audit_retention)
    app.add_middleware(HttpMetrics, metrics=kit.metrics)
    app.add_middleware(BodyLimit, limit=spec.settings.max_body_bytes, routes=app)
    return app


async def _shut_down(name: str, tasks: list[asyncio.Task[Any]], kit: Kit) -> None:
    """Cancel the service's tasks, then close the bus and the database, each step bounded: a shutdown
    never hangs on one of them, and the log names whichever was slow."""
    for task in tasks:
        task.cancel()
    _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_STEP_SECONDS)
    if pending:
        log.warning("%s: still running %.0f s after cancellation: %s", name, SHUTDOWN_STEP_SECONDS,
                    ", ".join(sorted(t.get_name() for t in pending)))  # fmt: skip
    for what, close in (("the bus", kit.bus.close), ("the database client", kit.mongo.close)):
        started = time.monotonic()
        try:
            await asyncio.wait_for(close(), SHUTDOWN_STEP_SECONDS)
        except TimeoutError:
            log.warning("%s: closing %s took longer than %.0f s; left to the process exit", name, what,
                        SHUTDOWN_STEP_SECONDS)  # fmt: skip
        else:
            if time.monotonic() - started > 2:
                log.warning("%s: closing %s took %.1f s", name, what, time.monotonic() - started)


async def supervised(name: str, run: Callable[[], Coroutine[Any, Any, None]], metrics: ServiceMetrics) -> None:
    """Run one of the service's long-lived tasks, and start it again should it ever fail. A consumer loop that
    died unseen would leave the service looking ready while its queue filled; now the failure is logged with its
    traceback, counted (`pacs_task_restarts_total`) and the work goes on."""
    delay = 0.5
    while True:
        try:
            await run()
            return
        except Exception:
            log.exception("%s stopped unexpectedly; starting it again in %.1f s", name, delay)
            metrics.task_restarts.labels(name).inc()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


async def chain_audit(kit: Kit) -> None:
    """Chain the audit records as they come; instances take turns, guarded by the chain's head."""

    async def step() -> bool:
        if not await kit.audit.waiting():
            return False  # no transaction for an idle trail
        try:
            chained = await kit.mongo.in_transaction(kit.audit.chain_once, timeout=10)
        except ChainMoved:
            return True  # another instance chained first: go again from its head
        return chained == CHAIN_BATCH

    await WorkLoop("audit chain", step, AUDIT_CHAIN_SECONDS).run()


def state_roles(router: APIRouter) -> APIRouter:
    """Each route's OpenAPI operation names the roles it admits (`x-roles`) and says so in its description."""
    for route in router.routes:
        if isinstance(route, APIRoute) and (roles := roles_of(route)) is not None:
            route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": sorted(roles)}
            who = ", ".join(sorted(roles))
            route.description = f"{route.description}\n\nRoles: {who}.".strip()
    return router
