"""Deliver one message through an ordered list of providers, retrying and failing over.

The rule:
- A transient error (rate limited, 5xx, timeout, broken connection) is retried on the same provider, up to
  `attempts` tries, after a pause drawn with full jitter from [0, min(max_delay, base_delay * 2**n)], or after
  the provider's Retry-After (capped at `max_delay`) when it gave one. Once the tries are spent, the next
  provider takes over.
- A permanent error about the provider (credentials, account, quota, template, a request it refuses) is not
  retried: the next provider takes over at once.
- A permanent error about the recipient (invalid number, unregistered token) is not retried either, and it
  condemns that address for that kind: later providers of the same kind that would send to the same address
  are skipped, since they would refuse it too. Providers of another kind, or with another address for this
  engineer (a JPush registration id and an FCM token, say), are still tried.
- The first receipt ends the run. Every try and every skip is in `attempts`, for the delivery log.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from pacs_notify.adapters.providers.base import Message, PermanentError, Provider, Receipt, TransientError

_TRACER = trace.get_tracer(__name__)
AttemptOutcome = Literal["sent", "transient", "permanent", "skipped"]


@dataclass(frozen=True)
class Attempt:
    provider: str
    outcome: AttemptOutcome
    error: str | None = None
    code: str | None = None
    duration: float = 0.0  # seconds the call took
    retry_in: float | None = None  # the pause before this provider was tried again
    at: datetime = field(default_factory=lambda: datetime.now(UTC))  # when the call started

    def as_record(self) -> dict[str, Any]:
        """The attempt as a delivery log entry."""
        return {
            "provider": self.provider, "outcome": self.outcome, "error": self.error, "code": self.code,
            "at": self.at, "seconds": round(self.duration, 4), "retry_in": self.retry_in,
        }  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """What became of one message across the providers: the receipt that ended it (None if none accepted it), and
    every attempt."""

    receipt: Receipt | None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return self.receipt is not None

    @property
    def retryable(self) -> bool:
        """Undelivered, but some provider failed only for transient reasons, so a later round may succeed."""
        return not self.delivered and any(a.outcome == "transient" for a in self.attempts)


def backoff(retry: int, *, base_delay: float, max_delay: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(max_delay, base_delay * 2**retry)]."""
    return rng.uniform(0.0, min(max_delay, base_delay * 2**retry))


async def deliver(
    message: Message,
    providers: Sequence[Provider],
    *,
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Outcome:
    """Try each provider in order until one accepts the message; see the module docstring for the rule."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    run = _Run(message, attempts, base_delay, max_delay, rng or random.Random(), sleep)
    condemned: set[tuple[str, str | None]] = set()
    for provider in providers:
        target = (provider.kind, message.address_for(provider))
        if target in condemned:
            run.log.append(Attempt(provider.name, "skipped", "an earlier provider refused this address"))
            continue
        receipt, error = await run.through(provider)
        if receipt is not None:
            return Outcome(receipt, run.log)
        if isinstance(error, PermanentError) and error.about == "recipient":
            condemned.add(target)
    return Outcome(None, run.log)


@dataclass
class _Run:
    message: Message
    attempts: int
    base_delay: float
    max_delay: float
    rng: random.Random
    sleep: Callable[[float], Awaitable[None]]
    log: list[Attempt] = field(default_factory=list)

    async def through(self, provider: Provider) -> tuple[Receipt | None, Exception | None]:
        """One provider's tries: a receipt, or the error that ended them."""
        for retry in range(self.attempts):
            at, started = datetime.now(UTC), time.monotonic()
            try:
                with _TRACER.start_as_current_span(
                    f"{provider.name} send",
                    kind=SpanKind.CLIENT,
                    attributes={"pacs.provider": provider.name, "pacs.try": retry + 1},
                ):
                    receipt = await provider.send(self.message)
            except TransientError as e:
                pause = self.pause(e, retry) if retry + 1 < self.attempts else None
                self.log.append(Attempt(provider.name, "transient", str(e), e.code, _since(started), pause, at))
                if pause is None:
                    return None, e
                await self.sleep(pause)
            except PermanentError as e:
                self.log.append(Attempt(provider.name, "permanent", str(e), e.code, _since(started), at=at))
                return None, e
            else:
                self.log.append(Attempt(provider.name, "sent", duration=_since(started), at=at))
                return receipt, None
        raise AssertionError("unreachable: the last try returns")

    def pause(self, error: TransientError, retry: int) -> float:
        if error.retry_after is not None:
            return min(error.retry_after, self.max_delay)
        return backoff(retry, base_delay=self.base_delay, max_delay=self.max_delay, rng=self.rng)


def _since(started: float) -> float:
    return time.monotonic() - started
