"""A signed generic webhook, for a hospital's or a team's own system (a chat bridge, a pager gateway).

Each notification is `POST`ed to the configured URL as JSON:
`{"notification_id", "incident_id", "site_id", "to", "title", "body", "ack_url", "severity", "locale", "sent_at"}`,
with two headers:

    X-PSO-Timestamp: <Unix time in seconds>
    X-PSO-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>", keyed by the shared secret>

A receiver verifies it (`verify` below does exactly this):
1. recompute the HMAC over the timestamp header, a full stop and the raw body bytes, before parsing the JSON;
2. compare it with the signature in constant time;
3. refuse a timestamp more than five minutes from its own clock, so a captured request cannot be replayed later;
4. answer 2xx once it has the message; deduplicate on `notification_id`, since a retry can deliver one twice.
A 429 or 5xx answer is retried with backoff; any other answer counts as a refusal and is not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from pacs_notify.adapters.providers.base import Kind, Message, Receipt
from pacs_notify.adapters.providers.transport import by_status, json_object, request

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-PSO-Signature value for a timestamp and a raw body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str, timestamp: str, body: bytes, signature_header: str, *, tolerance: float = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:  # fmt: skip
    """True when the signature matches and the timestamp is within `tolerance` seconds of now."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), signature_header)


class Webhook:
    kind: Kind = "webhook"

    def __init__(
        self, client: httpx.AsyncClient, *, url: str, secret: str, name: str = "webhook",
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.name = name
        self.client = client
        self.url = url
        self.secret = secret
        self.clock = clock

    def body(self, message: Message, sent_at: datetime) -> bytes:
        document = {
            "notification_id": message.notification_id, **message.subject(),
            "site_id": message.site_id, "to": message.address_for(self), "title": message.title, "body": message.body,
            "ack_url": message.ack_url, "severity": message.severity, "locale": message.locale,
            "sent_at": sent_at.isoformat(),
        }  # fmt: skip
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

    async def send(self, message: Message) -> Receipt:
        now = self.clock()
        body = self.body(message, datetime.fromtimestamp(now, UTC))
        timestamp = str(int(now))
        headers = {
            "Content-Type": "application/json",
            "X-PSO-Timestamp": timestamp,
            "X-PSO-Signature": signature(self.secret, timestamp, body),
        }
        response = await request(self.client, self.name, "POST", self.url, content=body, headers=headers)
        if response.is_success:
            return Receipt(self.name, json_object(response).get("id"), datetime.now(UTC))
        reason = str(json_object(response).get("detail") or response.reason_phrase)
        raise by_status(self.name, response, reason)
