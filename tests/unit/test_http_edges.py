"""The kit's HTTP edges, in-process: body limit and problem bodies."""

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from pacs_kit.middleware import BodyLimit, bulk_body
from pacs_kit.problems import install_problem_handlers


class Thing(BaseModel):
    name: str


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create(thing: Thing) -> Thing:
        return thing

    @app.post("/things/{batch}/bulk", openapi_extra=bulk_body(1_000))
    async def create_many(batch: str, things: list[Thing]) -> int:
        return len(things)

    app.add_middleware(BodyLimit, limit=100, routes=app)
    return app


async def _post(content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(
            "/things", content=content, headers={"content-type": "application/json", **(headers or {})}
        )


async def test_an_oversized_body_is_a_413_problem() -> None:
    response = await _post(b'{"name": "' + b"x" * 200 + b'"}')
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "100 bytes" in response.json()["detail"]


async def test_a_streamed_body_without_length_is_cut_at_the_limit() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 50

    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/things", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


async def test_a_bulk_route_has_its_own_documented_limit_and_every_other_route_the_service_limit() -> None:
    transport = httpx.ASGITransport(app=(app := _app()))
    many = b"[" + b",".join([b'{"name": "x"}'] * 40) + b"]"  # 559 bytes: over the service's limit, under the bulk one
    json_ = {"content-type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=json_) as client:
        assert (await client.post("/things/b1/bulk", content=many)).json() == 40
        too_many = b"[" + b",".join([b'{"name": "x"}'] * 80) + b"]"
        refused = await client.post("/things/b1/bulk", content=too_many)
        assert refused.status_code == 413 and "1000 bytes" in refused.json()["detail"]
        assert (await client.post("/things", content=many)).status_code == 413
    assert app.openapi()["paths"]["/things/{batch}/bulk"]["post"]["x-max-body-bytes"] == 1_000


async def test_malformed_json_is_400_and_invalid_fields_are_422_naming_the_field() -> None:
    malformed = await _post(b'{"name": ')
    assert malformed.status_code == 400 and malformed.json()["title"] == "Malformed JSON"
    invalid = await _post(b'{"name": 5}')
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "name"
