"""SMS through Twilio Programmable Messaging: its REST API, form-encoded, with HTTP Basic auth."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from pacs_notify.adapters.providers.base import Kind, Message, Receipt, require_address
from pacs_notify.adapters.providers.transport import by_status, json_object, request

# Twilio error codes that mean this number cannot get an SMS from anyone: invalid, not a mobile, opted out (STOP),
# unreachable. A region not enabled on the account (21408) is the account's limit, so another provider may do it.
RECIPIENT_CODES = {21211, 21217, 21401, 21610, 21612, 21614}


class Twilio:
    kind: Kind = "sms"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        status_callback: str = "",
        base_url: str = "https://api.twilio.com",
        name: str = "twilio",
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("Twilio needs a From number or a Messaging Service SID")
        self.name = name
        self.client = client
        self.auth = (account_sid, auth_token)
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.sender = {"MessagingServiceSid": messaging_service_sid} if messaging_service_sid else {"From": from_number}
        self.status_callback = status_callback

    async def send(self, message: Message) -> Receipt:
        form = {"To": require_address(self, message), **self.sender, "Body": message.body}
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        response = await request(self.client, self.name, "POST", self.url, data=form, auth=self.auth)
        body = json_object(response)
        if response.status_code in (200, 201):
            return Receipt(self.name, body.get("sid"), datetime.now(UTC))
        code = body.get("code")
        reason = str(body.get("message") or response.reason_phrase)
        about = "recipient" if code in RECIPIENT_CODES else "provider"
        raise by_status(self.name, response, reason, code=None if code is None else str(code), about=about)
