"""The `log` provider for demos and tests: one JSON line per message in a file; the file is the engineer's phone."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from pacs_notify.adapters.providers.base import Kind, Message, Receipt


class LogProvider:
    kind: Kind = "log"

    def __init__(self, path: str, *, name: str = "log") -> None:
        self.name = name
        self.path = Path(path)
        self._lock = asyncio.Lock()

    async def send(self, message: Message) -> Receipt:
        at = datetime.now(UTC)
        line = json.dumps(
            {
                "at": at.isoformat(),
                "notification_id": message.notification_id,
                **message.subject(),
                "to": message.address_for(self),
                "text": message.body,
            },
            ensure_ascii=False,
        )
        async with self._lock:
            await asyncio.to_thread(self._append, line)
        return Receipt(self.name, None, at)

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
