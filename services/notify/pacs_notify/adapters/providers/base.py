"""One small interface for every way of reaching an engineer: a message in, a receipt or a classified error out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Kind = Literal["sms", "push", "webhook", "log"]
About = Literal["recipient", "provider"]


@dataclass(frozen=True)
class Message:
    """What every provider needs, and nothing about patients.

    `to` holds the engineer's addresses, keyed by provider name or by kind, the name winning:
    `{"sms": "+8613800138000", "jpush": "<registration id>", "fcm": "<token>", "ntfy": "<topic>",
    "log": "ENG-1"}`. `body` is the whole text an SMS carries, the localised ack line included;
    push providers also open `ack_url` when the notification is tapped.
    """

    notification_id: str
    to: Mapping[str, str]
    title: str
    body: str
    ack_url: str = ""
    severity: str = "critical"
    locale: str = "en"
    incident_id: str = ""
    site_id: str = ""

    def address(self, provider: Provider) -> str | None:
        return self.to.get(provider.name) or self.to.get(provider.kind)


@dataclass(frozen=True)
class Receipt:
    provider: str
    message_id: str | None
    accepted_at: datetime


class Provider(Protocol):
    name: str
    kind: Kind

    async def send(self, message: Message) -> Receipt: ...


class ProviderError(Exception):
    """A send the provider did not accept; `code` is the provider's own error code, when it gave one."""

    def __init__(self, provider: str, reason: str, *, code: str | None = None, status: int | None = None) -> None:
        self.provider = provider
        self.reason = reason
        self.code = code
        self.status = status
        super().__init__(str(self))

    def __str__(self) -> str:
        details = [f"code {self.code}"] if self.code else []
        details += [f"HTTP {self.status}"] if self.status else []
        return f"{self.provider}: {self.reason}" + (f" ({', '.join(details)})" if details else "")


class TransientError(ProviderError):
    """Worth trying again: rate limited, a server error, a timeout, a broken connection."""

    def __init__(
        self, provider: str, reason: str, *, code: str | None = None, status: int | None = None,
        retry_after: float | None = None,
    ) -> None:  # fmt: skip
        self.retry_after = retry_after
        super().__init__(provider, reason, code=code, status=status)


class PermanentError(ProviderError):
    """The same request will fail again; `about` says whether the recipient's address or the provider is at fault."""

    def __init__(
        self, provider: str, reason: str, *, about: About = "provider", code: str | None = None,
        status: int | None = None,
    ) -> None:  # fmt: skip
        self.about = about
        super().__init__(provider, reason, code=code, status=status)


def require_address(provider: Provider, message: Message) -> str:
    """The address this provider sends to; a recipient without one is a permanent error about the recipient."""
    address = message.address(provider)
    if not address:
        raise PermanentError(provider.name, f"no {provider.name} or {provider.kind} address", about="recipient")
    return address
