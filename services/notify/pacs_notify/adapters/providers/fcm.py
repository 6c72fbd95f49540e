"""Push through Firebase Cloud Messaging's HTTP v1 API, authorised by a service account (OAuth 2.0 JWT bearer grant).

Google is not reachable from mainland China: there, put JPush first.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pacs_notify.adapters.providers.base import (
    Kind,
    Message,
    PermanentError,
    ProviderError,
    Receipt,
    TransientError,
    require_address,
)
from pacs_notify.adapters.providers.transport import by_status, json_object, request, retry_after

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
RECIPIENT_CODES = {"UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH"}
TRANSIENT_CODES = {"QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL"}
REFRESH_MARGIN = 60.0  # seconds before expiry a cached access token is replaced


@dataclass(frozen=True)
class ServiceAccount:
    project_id: str
    client_email: str
    private_key: str
    private_key_id: str
    token_uri: str

    @classmethod
    def from_json(cls, text: str) -> ServiceAccount:
        """The fields we use from a service account key file, as Google's console downloads it."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("type") != "service_account":
            raise ValueError("not a service account key (its type must be service_account)")
        missing = [k for k in ("project_id", "client_email", "private_key", "token_uri") if not data.get(k)]
        if missing:
            raise ValueError(f"service account key lacks {', '.join(missing)}")
        try:
            key = serialization.load_pem_private_key(data["private_key"].encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as e:
            raise ValueError(f"its private_key is not a PEM private key ({e})") from e
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("its private_key is not an RSA key, which RS256 needs")
        return cls(
            data["project_id"], data["client_email"], data["private_key"], data.get("private_key_id", ""),
            data["token_uri"],
        )  # fmt: skip


class AccessTokens:
    """Google access tokens for a service account, cached until shortly before they expire."""

    def __init__(
        self, client: httpx.AsyncClient, account: ServiceAccount, *, provider: str = "fcm",
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.client = client
        self.account = account
        self.provider = provider
        self.clock = clock
        self._token: tuple[str, float] | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:
            if self._token is None or self.clock() >= self._token[1] - REFRESH_MARGIN:
                self._token = await self._fetch()
            return self._token[0]

    def forget(self) -> None:
        self._token = None

    def assertion(self, now: int) -> str:
        claims = {"iss": self.account.client_email, "scope": SCOPE, "aud": self.account.token_uri}
        headers = {"kid": self.account.private_key_id} if self.account.private_key_id else None
        payload = claims | {"iat": now, "exp": now + 3600}
        return jwt.encode(payload, self.account.private_key, algorithm="RS256", headers=headers)

    async def _fetch(self) -> tuple[str, float]:
        now = int(self.clock())
        form = {"grant_type": GRANT_TYPE, "assertion": self.assertion(now)}
        response = await request(self.client, self.provider, "POST", self.account.token_uri, data=form)
        body = json_object(response)
        if response.status_code == 200 and body.get("access_token"):
            return body["access_token"], now + float(body.get("expires_in", 3600))
        reason = f"access token refused: {body.get('error_description') or body.get('error') or response.reason_phrase}"
        raise by_status(self.provider, response, reason, code=body.get("error"))


class Fcm:
    kind: Kind = "push"

    def __init__(
        self, client: httpx.AsyncClient, account: ServiceAccount, *, base_url: str = "https://fcm.googleapis.com",
        name: str = "fcm", tokens: AccessTokens | None = None,
    ) -> None:  # fmt: skip
        self.name = name
        self.client = client
        self.url = f"{base_url.rstrip('/')}/v1/projects/{account.project_id}/messages:send"
        self.tokens = tokens or AccessTokens(client, account, provider=name)

    def payload(self, message: Message) -> dict[str, Any]:
        data = {
            "notification_id": message.notification_id, **message.subject(), "ack_url": message.ack_url,
            "severity": message.severity,
        }  # fmt: skip
        return {
            "message": {
                "token": require_address(self, message),
                "notification": {"title": message.title, "body": message.body},
                "data": {k: v for k, v in data.items() if v},
                "android": {"priority": "high"},
            }
        }

    async def send(self, message: Message) -> Receipt:
        payload = self.payload(message)
        headers = {"Authorization": f"Bearer {await self.tokens.get()}"}
        response = await request(self.client, self.name, "POST", self.url, json=payload, headers=headers)
        body = json_object(response)
        if response.status_code == 200:
            return Receipt(self.name, body.get("name"), datetime.now(UTC))
        raise self._error(response, body)

    def _error(self, response: httpx.Response, body: dict[str, Any]) -> ProviderError:
        error = body.get("error")
        error = error if isinstance(error, dict) else {}
        details = [d for d in error.get("details", []) if isinstance(d, dict)]
        code = next((d["errorCode"] for d in details if d.get("errorCode")), error.get("status"))
        reason = str(error.get("message") or response.reason_phrase)
        status = response.status_code
        if code in RECIPIENT_CODES:
            return PermanentError(self.name, reason, about="recipient", code=code, status=status)
        if code in TRANSIENT_CODES:
            return TransientError(self.name, reason, code=code, status=status, retry_after=retry_after(response))
        if status == 401 and code != "THIRD_PARTY_AUTH_ERROR":  # our access token expired or was revoked
            self.tokens.forget()
            return TransientError(self.name, reason, code=code, status=status)
        return by_status(self.name, response, reason, code=code)
