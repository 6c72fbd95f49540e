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


@dataclass(frozen=True)
class Outgoing:
    """One message as a provider sees it: no patient data, a short text with its ack links."""

    channel: str  # log, push or sms
    address: str | None  # E.164 number, push token or topic; None for log
    text: str
    engineer_id: str
    notification_ids: tuple[str, ...]
    incident_ids: tuple[str, ...]
    title: str = "PACS"
    urgent: bool = True


@dataclass
class Sent:
    ok: bool
    provider: str | None = None
    provider_message_id: str | None = None
    error: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)


class Sender(Protocol):
    async def send(self, message: Outgoing) -> Sent: ...


class LogSender:
    """For demos and tests: the file is the engineer's phone."""

    name = "log"

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = asyncio.Lock()

    async def send(self, message: Outgoing) -> Sent:
        started = time.monotonic()
        line = json.dumps({
            "at": datetime.now(UTC).isoformat(), "notification_id": message.notification_ids[0],
            "notification_ids": list(message.notification_ids), "incident_id": message.incident_ids[0],
            "incident_ids": list(message.incident_ids),
            "to": message.engineer_id, "channel": message.channel, "address": message.address, "text": message.text,
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


class Outbound:
    """Routes a message to the sender of its channel; channels without a configured sender use the log."""

    def __init__(self, log: LogSender, senders: dict[str, Sender] | None = None) -> None:
        self.log = log
        self.senders = senders or {}

    def sender(self, channel: str) -> Sender:
        return self.senders.get(channel, self.log)

    async def send(self, message: Outgoing) -> Sent:
        return await self.sender(message.channel).send(message)
