"""ASGI middleware: request body size limit and HTTP RED metrics."""

from __future__ import annotations

import json
import re
import time

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pacs_kit.metrics import ServiceMetrics, origin
from pacs_kit.problems import PROBLEM_JSON, TYPE_BASE


class _TooLarge(HTTPException):
    """An HTTPException, so the framework's body parser re-raises it instead of calling it a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": TYPE_BASE + "payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"the request body exceeds {limit} bytes",
        }
    ).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", PROBLEM_JSON.encode())]})
    await send({"type": "http.response.body", "body": body})


BODY_LIMIT = "x-max-body-bytes"
BULK_BYTES = 8_388_608  # the gateway's own cap


def bulk_body(limit: int = BULK_BYTES) -> dict[str, int]:
    """`openapi_extra` of a route that takes bulk bodies (imports, metric batches): its own limit, documented
    in the OpenAPI operation; every other route has the service's `max_body_bytes`."""
    return {BODY_LIMIT: limit}


def bulk_limits(app: FastAPI) -> list[tuple[re.Pattern[str], str, int]]:
    """(path pattern, method, limit) of each operation that declared a limit of its own, read from the OpenAPI
    document, so the limit enforced is the one published."""
    found = []
    for path, operations in app.openapi().get("paths", {}).items():
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in operations.items():
            if isinstance(operation, dict) and BODY_LIMIT in operation:
                found.append((pattern, method.upper(), int(operation[BODY_LIMIT])))
    return found


class BodyLimit:
    """Refuse bodies over the limit, by Content-Length or while streaming: `limit` bytes, or a bulk route's own
    (`bulk_body`), which is looked up once the app's routes are all known."""

    def __init__(self, app: ASGIApp, limit: int, routes: FastAPI | None = None) -> None:
        self.app = app
        self.limit = limit
        self.routes = routes
        self.bulk: list[tuple[re.Pattern[str], str, int]] | None = None

    def limit_of(self, scope: Scope) -> int:
        if self.bulk is None:
            self.bulk = bulk_limits(self.routes) if self.routes is not None else []
        for pattern, method, limit in self.bulk:
            if scope["method"] == method and pattern.match(scope["path"]):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_413(send, limit)


class HttpMetrics:
    """Count and time every request by its route template, not its raw path."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        token = origin.set("request")  # the database commands made while serving it count as the request's

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.metrics.http_requests.labels(method, template, str(status)).inc()
            self.metrics.http_duration.labels(method, template).observe(time.perf_counter() - started)
            origin.reset(token)
