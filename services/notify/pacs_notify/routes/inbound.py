"""What the SMS provider tells us: engineers' replies, and what became of each message.

Twilio posts each inbound SMS to `POST /api/v1/sms/inbound/twilio` (form fields `From`, `Body`,
...) and each status change of a message we sent to `POST /api/v1/sms/status/twilio` (its
`StatusCallback`: `MessageSid`, `MessageStatus`, `ErrorCode`), both signed with
`X-Twilio-Signature` over the public URL it called; an unsigned or wrongly signed request is
refused before anything is read. `ACK 4821` acknowledges the message that carried code 4821,
looked up among the unused links of the engineers whose contacts list the sending number; a
`delivered` or `undelivered`/`failed` status is recorded on the delivery it belongs to.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response

from pacs_kit.deps import KitDep
from pacs_kit.problems import Problem
from pacs_notify.adapters.acks import spend
from pacs_notify.deps import DepsDep, NotifyDeps
from pacs_notify.domain.ack import parse_reply, twilio_signature

router = APIRouter(prefix="/api/v1/sms", tags=["acknowledge"])
RECEIPTS = {"delivered": "delivered", "undelivered": "undelivered", "failed": "undelivered"}
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _signed_form(request: Request, deps: NotifyDeps) -> dict[str, str]:
    secret = deps.settings.providers.twilio_auth_token
    if secret is None:
        raise Problem(404, "Not found", "Twilio is not configured (NOTIFY_TWILIO_AUTH_TOKEN)", slug="not-found")
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise Problem(415, "Unsupported media type", "Twilio posts form-encoded fields", slug="unsupported-media-type")
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    url = f"{deps.settings.public_url.rstrip('/')}{request.url.path}"
    expected = twilio_signature(secret.get_secret_value(), url, form)
    if not hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", "")):
        raise Problem(403, "Forbidden", "the request is not signed by the SMS provider", slug="forbidden")
    return form


@router.post("/status/twilio", summary="Twilio's status callback: delivery receipts")
async def twilio_status(request: Request, deps: DepsDep) -> Response:
    form = await _signed_form(request, deps)
    status = RECEIPTS.get(form.get("MessageStatus", ""))
    if status is not None and form.get("MessageSid"):
        receipt = {"status": form["MessageStatus"], "error_code": form.get("ErrorCode"), "at": datetime.now(UTC)}
        await deps.deliveries.receipt(form["MessageSid"], status, receipt)
    return Response(status_code=204)


@router.post("/inbound/twilio", summary="Twilio's inbound SMS webhook: ACK replies")
async def twilio_inbound(request: Request, deps: DepsDep, kit: KitDep) -> Response:
    form = await _signed_form(request, deps)
    code = parse_reply(form.get("Body", ""))
    if code is not None:
        engineers = await deps.contacts.with_phone(form.get("From", ""))
        now = datetime.now(UTC)
        tokens = [t["_id"] for t in await deps.acks.by_code(engineers, code, now)] if engineers else []
        done = await spend(kit, deps, tokens, now)
        log.info("SMS reply from a known number acknowledged %d message(s)", len(done))  # no number, no text
    return Response(EMPTY_TWIML, media_type="text/xml")
