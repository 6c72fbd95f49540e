"""Push through an ntfy server (ntfy.sh or self-hosted): the text as the body, the rest in headers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from pacs_notify.adapters.providers.base import Kind, Message, Receipt, require_address
from pacs_notify.adapters.providers.transport import by_status, json_object, request

PRIORITY = {"critical": "urgent", "major": "high", "minor": "default"}
RECIPIENT_CODES = {40009, 40010}  # the topic name is invalid, or not allowed on this server
TAGS = {"critical": "rotating_light", "major": "warning", "minor": "information_source"}


def header_text(value: str) -> str:
    """HTTP headers carry ASCII safely; ntfy reads anything else as RFC 2047 encoded-words, so Chinese titles work."""
    if value.isascii():
        return value
    return f"=?UTF-8?B?{base64.b64encode(value.encode()).decode()}?="


class Ntfy:
    kind: Kind = "push"

    def __init__(
        self, client: httpx.AsyncClient, *, base_url: str = "https://ntfy.sh", token: str = "", name: str = "ntfy"
    ) -> None:
        self.name = name
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.token = token

    def headers(self, message: Message) -> dict[str, str]:
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "Title": header_text(message.title),
            "Priority": PRIORITY.get(message.severity, "high"),
            "Tags": f"{TAGS.get(message.severity, 'bell')},pacs",
        }
        if message.ack_url:
            headers["Click"] = message.ack_url
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    async def send(self, message: Message) -> Receipt:
        url = f"{self.base_url}/{quote(require_address(self, message), safe='')}"
        response = await request(
            self.client, self.name, "POST", url, content=message.body.encode(), headers=self.headers(message)
        )
        body = json_object(response)
        if response.status_code == 200:
            return Receipt(self.name, body.get("id"), datetime.now(UTC))
        code = body.get("code")
        reason = str(body.get("error") or response.reason_phrase)
        about = "recipient" if code in RECIPIENT_CODES else "provider"
        raise by_status(self.name, response, reason, code=None if code is None else str(code), about=about)
