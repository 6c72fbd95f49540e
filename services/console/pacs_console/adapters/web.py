"""What every page shares: templates, security headers, the CSRF token of a form."""

from __future__ import annotations

import hashlib
import hmac
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_HEADERS = [
    # no inline script or style anywhere: everything the pages run comes from /console/static
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        b"object-src 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
]


def templates() -> Environment:
    folder = Path(str(resources.files("pacs_console").joinpath("templates")))
    return Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]))


def static_folder() -> Path:
    return Path(str(resources.files("pacs_console").joinpath("static")))


def csrf_token(secret: str, binding: str) -> str:
    """A form's token, bound to the session (or, before signing in, to the pre-session cookie)."""
    return hmac.new(secret.encode(), b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, binding: str | None, presented: str | None) -> bool:
    return bool(binding and presented) and hmac.compare_digest(csrf_token(secret, binding or ""), presented or "")


class PageHeaders:
    """The security headers of every response under /console/ (the pages and their static files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/console"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *PAGE_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)
