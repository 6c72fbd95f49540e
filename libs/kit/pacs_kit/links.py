"""Links that are their own credential: a token signed with the service's key, for one audience only (a review's
acknowledgement, an approval), expiring. A bearer token is no link and a link is no bearer token: each has an
audience the other is never issued for."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import jwt

from pacs_kit.settings import ServiceSettings

# where a path's last segment is a link's token
LINK_PATHS = ("ack", "approvals", "acknowledgements", "agreements", "verifications")
_TOKEN_IN_PATH = re.compile(r"/(" + "|".join(LINK_PATHS) + r")/[^/?]+")
TRACING_EXCLUDED = ",".join(f"/{p}/" for p in LINK_PATHS)  # such requests are not traced: a span keeps its URL


def masked(path: str) -> str:
    """A path fit for a log: a link's token replaced by "(link)"."""
    return _TOKEN_IN_PATH.sub(r"/\1/(link)", path)


def token_digest(token: str) -> str:
    """What an audit record keeps of a link's token: enough to tell two links apart, not enough to use one."""
    return "link:" + hashlib.sha256(token.encode()).hexdigest()[:16]


class SignedLinks:
    def __init__(self, settings: ServiceSettings, audience: str, path: str) -> None:
        assert settings.jwt_secret is not None
        self._secret = settings.jwt_secret.get_secret_value()
        self._audience = audience
        self._base = f"{getattr(settings, 'public_url', '').rstrip('/')}{path}"

    def url(self, subject: str, now: datetime, expires: datetime, **claims: Any) -> str:
        """The link for `subject` (and any claims), valid until `expires`."""
        token = jwt.encode({"sub": subject, "aud": self._audience, "iat": now, "exp": expires, **claims},
                           self._secret, algorithm="HS256")  # fmt: skip
        return f"{self._base}/{token}"

    def read(self, token: str, *required: str) -> dict[str, Any]:
        """The claims of a link this service signed for this audience and that has not expired; jwt.PyJWTError
        (a forged, altered, expired or foreign token) otherwise."""
        claims: dict[str, Any] = jwt.decode(token, self._secret, algorithms=["HS256"], audience=self._audience,
                                            options={"require": ["exp", "sub", "aud", *required]})  # fmt: skip
        return claims
