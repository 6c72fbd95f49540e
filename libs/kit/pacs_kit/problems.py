"""RFC 9457 problem details for every HTTP error."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pacs_contracts.api import ProblemDetails
from pacs_kit.links import masked

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://pacs-service-ops.example/problems/"
RETRY_AFTER_SECONDS = 2
T = TypeVar("T")


class Problem(Exception):
    """Raise anywhere in a route to answer with a problem body."""

    def __init__(self, status: int, title: str, detail: str, *, slug: str | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.slug = slug or title.lower().replace(" ", "-")
        self.extra = extra


def found(thing: T | None, detail: str) -> T:
    """`thing`, or a 404 problem saying what was not found (`detail`, e.g. "no site 'S-1'")."""
    if thing is None:
        raise Problem(404, "Not found", detail, slug="not-found")
    return thing


def problem_response(
    status: int, title: str, detail: str, *, slug: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.title, exc.detail, slug=exc.slug, instance=request.url.path, **exc.extra)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            400,
            "Malformed JSON",
            "the request body is not valid JSON",
            slug="malformed-json",
            instance=request.url.path,
        )
    fields = [{"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "")} for e in errors]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return problem_response(
        422, "Invalid request", detail, slug="invalid-request", instance=request.url.path, errors=fields
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        413: "Payload too large",
    }.get(exc.status_code, "HTTP error")
    return problem_response(
        exc.status_code, title, str(exc.detail), slug=title.lower().replace(" ", "-"), instance=request.url.path
    )


async def _on_database_down(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After. Whether anything was saved is said only when it is known: a commit that ran
    out of time may have landed, and the client's retry is then answered from what is already there."""
    unknown = isinstance(exc, PyMongoError) and exc.has_error_label("UnknownTransactionCommitResult")
    log.warning("database %s on %s %s: %s", "too slow" if unknown else "unreachable", request.method,
                masked(request.url.path), exc)  # fmt: skip
    detail = (
        "the database did not confirm in time; the request may have been saved, and sending it again is safe"
        if unknown
        else "the database is not reachable; nothing was saved, retry shortly"
    )
    response = problem_response(503, "Service unavailable", detail, slug="unavailable", instance=request.url.path)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        500,
        "Internal error",
        "the service failed to handle the request; it has been logged",
        slug="internal-error",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ConnectionFailure, _on_database_down)
    app.add_exception_handler(ExecutionTimeout, _on_database_down)
    app.add_exception_handler(Exception, _on_unexpected)


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": ProblemDetails.model_json_schema()}}}


# Documented on every operation, in place of FastAPI's default 422: errors are problem bodies, whatever the route.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": _problem_response("The request was refused: a problem body says why (RFC 9457)"),
    "5XX": _problem_response("The service could not answer: a problem body, with Retry-After when it may pass"),
}
