"""Delivery channels behind one small interface; `log` appends a JSON line per message to a file."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol


class Channel(Protocol):
    name: str

    async def send(self, notification: dict[str, Any], engineer: dict[str, Any] | None) -> None: ...


class LogChannel:
    """For demos and tests: the file is the engineer's phone."""

    name = "log"

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = asyncio.Lock()

    async def send(self, notification: dict[str, Any], engineer: dict[str, Any] | None) -> None:
        line = json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "notification_id": notification["_id"],
                "incident_id": notification["incident_id"],
                "to": notification["engineer_id"],
                "text": notification["text"],
            },
            ensure_ascii=False,
        )
        async with self._lock:
            await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()


def build_channel(name: str, log_path: str) -> Channel:
    if name == "log":
        return LogChannel(log_path)
    raise ValueError(f"unknown notification channel {name!r}; available: log")
