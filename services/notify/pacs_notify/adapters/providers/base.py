"""One small interface for every way of reaching an engineer: a message in, a receipt or a classified error out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Kind = Literal["sms", "push", "webhook", "log", "email"]
About = Literal["recipient", "provider"]


@dataclass(frozen=True, kw_only=True)
class Message:
    """One message to one engineer, as the dispatcher hands it to its channel and every provider sends it: nothing
    about patients.

    `to` holds the engineer's addresses, keyed by provider name or by kind, the name winning:
    `{"sms": "+8613800138000", "jpush": "<registration id>", "fcm": "<token>", "ntfy": "<topic>",
    "log": "ENG-1"}`, or `{"email": "<address>"}` for a hospital contact. `body` is the whole text an SMS carries,
    the localised ack line included; push providers also open `ack_url` when the notification is tapped; an e-mail
    takes `title` as its subject. `address` is the one the channel's rate limit counts and the send records (the
    first number, the first push target, the e-mail address; None on the log).

    Several notifications due together go as one message: `notification_ids` names them all, the first standing for
    the message where a provider takes one; `incident_ids` and `visit_ids` name what they are about.
    """

    notification_ids: tuple[str, ...]
    to: Mapping[str, str]
    body: str
    title: str = "PACS"
    ack_url: str = ""
    severity: str = "critical"
    locale: str = "en"
    incident_ids: tuple[str, ...] = ()
    visit_ids: tuple[str, ...] = ()  # PM visits: no incident of their own
    site_id: str = ""
    channel: str = "log"  # log, push, sms or email (the title is its subject)
    address: str | None = None
    engineer_id: str = ""

    @property
    def notification_id(self) -> str:
        return self.notification_ids[0]

    @property
    def incident_id(self) -> str:
        return self.incident_ids[0] if self.incident_ids else ""

    @property
    def visit_id(self) -> str:
        return self.visit_ids[0] if self.visit_ids else ""

    def subject(self) -> dict[str, str]:
        """What the message is about, for a provider's payload: the incident, and the PM visit when it names one."""
        return {"incident_id": self.incident_id} | ({"visit_id": self.visit_id} if self.visit_id else {})

    def address_for(self, provider: Provider) -> str | None:
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
    address = message.address_for(provider)
    if not address:
        raise PermanentError(provider.name, f"no {provider.name} or {provider.kind} address", about="recipient")
    return address
