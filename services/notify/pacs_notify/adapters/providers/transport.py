"""The HTTP plumbing every provider shares: one client, transport failures as transient, status codes classified."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from pacs_notify.adapters.providers.base import About, PermanentError, ProviderError, TransientError


def new_client(*, timeout: float = 10.0, connect_timeout: float = 5.0) -> httpx.AsyncClient:
    """The one client all providers share; the caller closes it at shutdown."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        follow_redirects=False,
        headers={"User-Agent": "pacs-service-ops-notify"},
    )


async def request(client: httpx.AsyncClient, provider: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One HTTP request; a timeout or a connection that fails is a transient error."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as e:
        raise TransientError(provider, f"timed out ({type(e).__name__})") from e
    except httpx.TransportError as e:
        raise TransientError(provider, f"connection failed ({type(e).__name__}: {e})") from e


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response body as a JSON object, or {} when it is not one (a proxy's HTML error page, say)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a Retry-After header, given as seconds or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def by_status(
    provider: str, response: httpx.Response, reason: str, *, code: str | None = None, about: About = "provider"
) -> ProviderError:
    """The error a status means when the provider's own code says no more: 408, 429 and 5xx are transient."""
    status = response.status_code
    if status in (408, 429) or status >= 500:
        return TransientError(provider, reason, code=code, status=status, retry_after=retry_after(response))
    return PermanentError(provider, reason, about=about, code=code, status=status)
