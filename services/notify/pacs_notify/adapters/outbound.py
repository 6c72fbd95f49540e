"""Where a message leaves the platform: the providers configured for each channel, tried in order.

`log` writes one JSON line per message to a file (the demo's phone, and the fallback for an
engineer without contacts). SMS goes through the deployment's SMS providers in order; a push goes
to each of the engineer's push targets in turn until one provider accepts it.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from pacs_notify.adapters.providers import Message, Provider, ProviderSettings, deliver


@dataclass
class Sent:
    ok: bool
    provider: str | None = None
    provider_message_id: str | None = None
    error: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    retryable: bool = False  # undelivered, but only for reasons that may pass (rate limits, outages)


class Sender(Protocol):
    async def send(self, message: Message) -> Sent: ...


class LogSender:
    """For demos and tests: the file is the engineer's phone."""

    name = "log"

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = asyncio.Lock()

    async def send(self, message: Message) -> Sent:
        started = time.monotonic()
        line = json.dumps({
            "at": datetime.now(UTC).isoformat(), "notification_id": message.notification_id,
            "notification_ids": list(message.notification_ids), "incident_id": message.incident_id or None,
            "incident_ids": list(message.incident_ids), "visit_ids": list(message.visit_ids),
            "to": message.engineer_id, "channel": message.channel, "address": message.address, "text": message.body,
        }, ensure_ascii=False)  # fmt: skip
        async with self._lock:
            await asyncio.to_thread(self._append, line)
        attempt = {"provider": self.name, "outcome": "sent", "error": None, "at": datetime.now(UTC),
                   "seconds": round(time.monotonic() - started, 4)}  # fmt: skip
        return Sent(True, self.name, None, None, [attempt])

    def _append(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()


class ProviderSender:
    """A channel served by the deployment's providers, in order, with retries and failover (providers/failover.py)."""

    def __init__(self, providers: list[Provider], settings: ProviderSettings) -> None:
        self.providers = providers
        self.settings = settings

    async def send(self, message: Message) -> Sent:
        s = self.settings
        outcome = await deliver(message, self.providers, attempts=s.retry_attempts,
                                base_delay=s.retry_base_delay_seconds, max_delay=s.retry_max_delay_seconds)  # fmt: skip
        attempts = [a.as_record() for a in outcome.attempts]
        if outcome.receipt is None:
            last = next((a.error for a in reversed(outcome.attempts) if a.error), "no provider accepted it")
            return Sent(False, None, None, last, attempts, retryable=outcome.retryable)
        return Sent(True, outcome.receipt.provider, outcome.receipt.message_id, None, attempts)


class Outbound:
    """Routes a message to the sender of its channel; channels without a configured sender use the log."""

    def __init__(self, log: LogSender, senders: dict[str, Sender] | None = None,
                 client: httpx.AsyncClient | None = None) -> None:  # fmt: skip
        self.log = log
        self.senders = senders or {}
        self.client = client  # shared by the providers; closed when the service stops

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    def sender(self, channel: str) -> Sender:
        return self.senders.get(channel, self.log)

    async def send(self, message: Message) -> Sent:
        return await self.sender(message.channel).send(message)
