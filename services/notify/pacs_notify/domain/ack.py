"""Acknowledge-from-the-message links: short, signed, single-use, expiring. Pure.

A token is 12 random URL-safe characters and 10 of an HMAC of them, so a forged or mistyped
link is refused without a database read; single use and expiry are kept with the token in the
database (adapters/repository.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
