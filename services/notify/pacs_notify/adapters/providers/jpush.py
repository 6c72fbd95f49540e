"""Push through JPush (极光推送) REST API v3, reachable in mainland China: JSON, HTTP Basic auth appKey:masterSecret."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

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

RECIPIENT_CODES = {1011}  # no device matches the registration id
TRANSIENT_CODES = {1000, 1030, 2002}  # internal error, internal timeout, API call rate over the app's limit


class JPush:
    kind: Kind = "push"

    def __init__(
        self, client: httpx.AsyncClient, *, app_key: str, master_secret: str, base_url: str = "https://api.jpush.cn",
        apns_production: bool = True, time_to_live: int = 3600, name: str = "jpush",
    ) -> None:  # fmt: skip
        self.name = name
        self.client = client
        self.auth = (app_key, master_secret)
        self.url = f"{base_url.rstrip('/')}/v3/push"
        self.apns_production = apns_production
        self.time_to_live = time_to_live

    def payload(self, message: Message) -> dict[str, Any]:
        extras = {"notification_id": message.notification_id, **message.subject(), "ack_url": message.ack_url}
        priority = 2 if message.severity == "critical" else 1  # Android's notification priority, -2 to 2
        return {
            "platform": "all",
            "audience": {"registration_id": [require_address(self, message)]},
            "notification": {
                "alert": message.body,
                "android": {"alert": message.body, "title": message.title, "priority": priority, "extras": extras},
                "ios": {"alert": {"title": message.title, "body": message.body}, "sound": "default", "extras": extras},
            },
            "options": {"time_to_live": self.time_to_live, "apns_production": self.apns_production},
        }  # fmt: skip

    async def send(self, message: Message) -> Receipt:
        response = await request(self.client, self.name, "POST", self.url, json=self.payload(message), auth=self.auth)
        body = json_object(response)
        if response.status_code == 200 and body.get("msg_id"):
            return Receipt(self.name, str(body["msg_id"]), datetime.now(UTC))
        raise self._error(response, body)

    def _error(self, response: httpx.Response, body: dict[str, Any]) -> ProviderError:
        error = body.get("error")
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        reason = str(error.get("message") or response.reason_phrase)
        status = response.status_code
        if code in RECIPIENT_CODES:
            return PermanentError(self.name, reason, about="recipient", code=str(code), status=status)
        if code in TRANSIENT_CODES:
            return TransientError(self.name, reason, code=str(code), status=status, retry_after=_wait(response))
        return by_status(self.name, response, reason, code=None if code is None else str(code))


def _wait(response: httpx.Response) -> float | None:
    """JPush says when its rate window resets in X-Rate-Limit-Reset (seconds), rather than in Retry-After."""
    reset = response.headers.get("X-Rate-Limit-Reset")
    if reset is not None and reset.isdigit():
        return float(reset)
    return retry_after(response)
