"""The platform's APIs, called as the signed-in user: every page reads and acts through the same routes, roles and
audit trail as any other client, with a short token minted for the user."""

from __future__ import annotations

from typing import Any

import httpx


class PlatformError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class Platform:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(10.0, connect=3.0))

    async def get(self, path: str, token: str, params: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        return _answer(await self.client.get(path, params=clean, headers={"Authorization": f"Bearer {token}"}))

    async def document(self, path: str, token: str, params: dict[str, Any] | None = None) -> tuple[bytes, str]:
        """A document (a PDF, say) as bytes with its media type."""
        response = await self.client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
        if not response.is_success:
            _answer(response)
        return response.content, response.headers.get("content-type", "application/octet-stream")

    async def post(self, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
        return _answer(await self.client.post(path, json=body, headers={"Authorization": f"Bearer {token}"}))

    async def delete(self, path: str, token: str) -> Any:
        return _answer(await self.client.delete(path, headers={"Authorization": f"Bearer {token}"}))

    async def put(self, path: str, token: str, body: dict[str, Any]) -> Any:
        return _answer(await self.client.put(path, json=body, headers={"Authorization": f"Bearer {token}"}))

    async def patch(self, path: str, token: str, body: dict[str, Any]) -> Any:
        return _answer(await self.client.patch(path, json=body, headers={"Authorization": f"Bearer {token}"}))


def _answer(response: httpx.Response) -> Any:
    if not response.is_success:
        try:
            detail = response.json().get("detail", response.text[:200])
        except ValueError:
            detail = response.reason_phrase
        raise PlatformError(response.status_code, str(detail))
    return response.json()
