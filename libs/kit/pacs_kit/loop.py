"""The one way a service runs work in the background: a loop that works until idle, then sleeps until woken or until
the next poll. Jobs (each service's `jobs/`) and the kit's own loops are built on it; none is written by hand."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class WorkLoop:
    """`step` returns True while more work is waiting; failures back off and retry, never stop the loop.

    Idle, the loop waits to be woken or for `poll_seconds`: a number; None (until woken); or, for a loop whose pace
    changes with what it is doing, a function asked each round for the seconds until the next (None: until woken)."""

    def __init__(self, name: str, step: Callable[[], Awaitable[bool]],
                 poll_seconds: float | Callable[[], float | None] | None) -> None:  # fmt: skip
        self.name = name
        self.step = step
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    @classmethod
    def every(cls, name: str, seconds: float, action: Callable[[], Awaitable[object]]) -> WorkLoop:
        """A loop that runs `action` once each `seconds` (and when woken)."""

        async def step() -> bool:
            await action()
            return False

        return cls(name, step, seconds)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.2
        while True:
            try:
                more = await self.step()
                backoff = 0.2
            except Exception:
                # a dependency is away: the work stays where it is and is retried
                log.warning("%s failed; retrying in %.1fs", self.name, backoff, exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not more:
                delay = self.poll_seconds() if callable(self.poll_seconds) else self.poll_seconds
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                self._wake.clear()


class Doorbell:
    """How code that commits work wakes the loop that does it, without knowing the loop: the loop hangs its `wake`
    here when it starts. A ring before then is lost, and harmless: a loop looks for work as it starts."""

    def __init__(self) -> None:
        self._wake: Callable[[], None] | None = None

    def answer_with(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def ring(self) -> None:
        if self._wake is not None:
            self._wake()
