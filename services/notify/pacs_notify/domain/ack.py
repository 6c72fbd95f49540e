"""Acknowledge-from-the-message links: short, signed, single-use, expiring. Pure.

A token is 12 random URL-safe characters and 10 of an HMAC of them, so a forged or mistyped
link is refused without a database read; single use and expiry are kept with the token in the
database (adapters/repository.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_RANDOM_BYTES = 9  # 12 characters
_SIG_CHARS = 10


def ack_key(jwt_secret: str) -> bytes:
    """A key of its own, derived from the deployment's secret: no new secret to manage."""
    return hmac.new(jwt_secret.encode(), b"pacs-ack-links", hashlib.sha256).digest()


def _signature(key: bytes, nonce: str) -> str:
    digest = hmac.new(key, nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:_SIG_CHARS]


def new_token(key: bytes) -> str:
    nonce = secrets.token_urlsafe(_RANDOM_BYTES)
    return f"{nonce}{_signature(key, nonce)}"


def genuine(key: bytes, token: str) -> bool:
    nonce, signature = token[:-_SIG_CHARS], token[-_SIG_CHARS:]
    return len(nonce) == 12 and hmac.compare_digest(_signature(key, nonce), signature)


def reply_code() -> str:
    """The four digits an engineer texts back (`ACK 4821`) to acknowledge from a plain phone."""
    return f"{secrets.randbelow(10_000):04d}"


_REPLY = re.compile(r"^\s*(?:ACK|确认|OK)\s*[:：]?\s*(\d{4})\s*$", re.I)


def parse_reply(body: str) -> str | None:
    """The code of an `ACK 4821` reply (also `确认 4821`), None for anything else."""
    match = _REPLY.match(body)
    return match.group(1) if match else None


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's request signature: HMAC-SHA1 over the URL and the sorted form fields, base64."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()
