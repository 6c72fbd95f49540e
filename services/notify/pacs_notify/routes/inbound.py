"""SMS replies from engineers: `ACK 4821` acknowledges the message that carried code 4821.

Twilio posts each inbound SMS to `POST /api/v1/sms/inbound/twilio` (form fields `From`, `Body`,
...) signed with `X-Twilio-Signature` over the public URL it called; an unsigned or wrongly signed
request is refused before anything is read. The code is looked up among the unused links of the
engineers whose contacts list the sending number.
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
from pacs_notify.deps import DepsDep
from pacs_notify.domain.ack import parse_reply, twilio_signature

router = APIRouter(prefix="/api/v1/sms/inbound", tags=["acknowledge"])
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@router.post("/twilio", summary="Twilio's inbound SMS webhook: ACK replies")
async def twilio_inbound(request: Request, deps: DepsDep, kit: KitDep) -> Response:
    secret = deps.settings.twilio_auth_token
    if secret is None:
        raise Problem(404, "Not found", "inbound SMS is not configured (NOTIFY_TWILIO_AUTH_TOKEN)", slug="not-found")
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise Problem(415, "Unsupported media type", "Twilio posts form-encoded fields", slug="unsupported-media-type")
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    url = f"{deps.settings.public_url.rstrip('/')}{request.url.path}"
    expected = twilio_signature(secret.get_secret_value(), url, form)
    if not hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", "")):
        raise Problem(403, "Forbidden", "the request is not signed by the SMS provider", slug="forbidden")
    code = parse_reply(form.get("Body", ""))
    if code is not None:
        engineers = await deps.contacts.with_phone(form.get("From", ""))
        now = datetime.now(UTC)
        tokens = [t["_id"] for t in await deps.acks.by_code(engineers, code, now)] if engineers else []
        done = await spend(kit, deps, tokens, now)
        log.info("SMS reply from a known number acknowledged %d message(s)", len(done))  # no number, no text
    return Response(EMPTY_TWIML, media_type="text/xml")
