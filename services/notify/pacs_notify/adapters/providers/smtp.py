"""E-mail through the deployment's SMTP relay (aiosmtplib): one plain-text, UTF-8 message per recipient.

The Message-ID follows from the notification, so a message sent again after a dispatcher died mid-send carries the
same id, and a mail system that got it before can tell it is the same one. SMTP's own classes decide the outcome:
a 4xx reply, a timeout or a broken connection may pass (tried again); a refused recipient (5xx on RCPT) is the
address's fault; any other 5xx, a failed login or a missing STARTTLS is the relay's or ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from pacs_notify.adapters.providers.base import (
    Kind,
    Message,
    PermanentError,
    ProviderError,
    Receipt,
    TransientError,
    require_address,
)


@dataclass(frozen=True, kw_only=True)
class SmtpRelay:
    host: str
    port: int
    sender: str  # "PACS Service <service@vendor.example>" or a bare address
    username: str = ""
    password: str = ""
    use_tls: bool = False  # TLS from the first byte (port 465)
    start_tls: bool = True  # upgrade with STARTTLS, and refuse to go on in the clear when the relay cannot
    timeout: float = 10.0


class Smtp:
    kind: Kind = "email"

    def __init__(self, relay: SmtpRelay, *, name: str = "smtp") -> None:
        self.name = name
        self.relay = relay

    def compose(self, message: Message, to: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.relay.sender
        mail["To"] = Address(addr_spec=to)
        mail["Subject"] = message.title
        mail["Date"] = format_datetime(datetime.now(UTC))
        domain = parseaddr(self.relay.sender)[1].rpartition("@")[2] or "pacs.invalid"
        mail["Message-ID"] = f"<{message.notification_id}@{domain}>"
        mail["Content-Language"] = message.locale
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to us
        mail.set_content(message.body, charset="utf-8")
        return mail

    async def send(self, message: Message) -> Receipt:
        mail = self.compose(message, require_address(self, message))
        relay = self.relay
        try:
            await aiosmtplib.send(
                mail, hostname=relay.host, port=relay.port, username=relay.username or None,
                password=relay.password or None, use_tls=relay.use_tls,
                start_tls=False if relay.use_tls else relay.start_tls, timeout=relay.timeout,
            )  # fmt: skip
        except aiosmtplib.SMTPException as e:
            raise classified(self.name, e, f"{relay.host}:{relay.port}") from e
        except OSError as e:  # refused, unreachable, reset before SMTP said anything
            raise TransientError(self.name, f"cannot reach {relay.host}:{relay.port}: {type(e).__name__}") from e
        return Receipt(self.name, str(mail["Message-ID"]), datetime.now(UTC))


def classified(provider: str, error: aiosmtplib.SMTPException, relay: str) -> ProviderError:
    """An SMTP failure as a transient or permanent error, the reply code kept."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        if all(400 <= c < 500 for c in codes):
            return TransientError(provider, "recipient deferred", code=str(codes[0]))
        return PermanentError(provider, "recipient refused", about="recipient", code=str(codes[0]) if codes else None)
    if isinstance(error, aiosmtplib.SMTPRecipientRefused) and error.code >= 500:
        return PermanentError(provider, "recipient refused", about="recipient", code=str(error.code))
    if isinstance(error, aiosmtplib.SMTPResponseException):
        reply = f"{error.code} {error.message}"[:120]
        if 400 <= error.code < 500:
            return TransientError(provider, f"relay deferred: {reply}", code=str(error.code))
        if isinstance(error, aiosmtplib.SMTPAuthenticationError):
            return PermanentError(provider, "login refused", code=str(error.code))
        return PermanentError(provider, f"relay refused: {reply}", code=str(error.code))
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return PermanentError(provider, f"relay lacks what the settings require: {error}"[:160])
    if isinstance(error, aiosmtplib.SMTPConnectError):  # refused, unreachable, or no greeting in time
        return TransientError(provider, f"cannot reach {relay}: {type(error).__name__}")
    # timeouts and disconnections on the way
    return TransientError(provider, f"{type(error).__name__}: {error}"[:160])
