"""What the SMS provider tells us: engineers' replies, and what became of each message.

Twilio posts each inbound SMS to `POST /api/v1/sms/inbound/twilio` (form fields `From`, `Body`,
...) and each status change of a message we sent to `POST /api/v1/sms/status/twilio` (its
`StatusCallback`: `MessageSid`, `MessageStatus`, `ErrorCode`), both signed with
`X-Twilio-Signature` over the public URL it called; an unsigned or wrongly signed request is
refused before anything is read. `ACK 4821` acknowledges the message that carried code 4821,
looked up among the unused links of the engineers whose contacts list the sending number; a
`delivered` or `undelivered`/`failed` status is recorded on the delivery it belongs to.

Alibaba pushes its delivery reports (SmsReport, "HTTP批量推送") to `POST /api/v1/sms/status/alibaba?token=...`
as a JSON array. The push is not signed, so the URL carries a secret of ours (NOTIFY_ALIBABA_RECEIPT_TOKEN)
and a request without it is refused before its body is read. Each report finds its delivery by `biz_id`,
SendSms's BizId; a report for a message not sent from here is counted and answered like any other, lest
Alibaba push it again.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from pacs_kit.deps import KitDep
from pacs_kit.problems import Problem
from pacs_notify.adapters.providers.alibaba import RECEIVED, SMS_REPORTS, SmsReport
from pacs_notify.deps import DepsDep, NotifyDeps
from pacs_notify.domain.ack import parse_reply, twilio_signature
from pacs_notify.usecases.acknowledge import spend

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
        await _record(deps, "twilio", form["MessageSid"], status, receipt)
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


@router.post("/status/alibaba", summary="Alibaba's SmsReport push: delivery receipts")
async def alibaba_status(request: Request, deps: DepsDep, token: str = "") -> dict[str, Any]:
    _check_receipt_token(deps, token)
    now = datetime.now(UTC)
    unknown: list[str] = []
    for report in _sms_reports(await request.body()):
        receipt = {"status": report.status, "error_code": None if report.success else report.err_code,
                   "error_message": None if report.success else report.err_msg,
                   "reported_at": report.report_time, "at": now}  # fmt: skip
        if await _record(deps, "alibaba", report.biz_id, report.status, receipt) == "unknown":
            unknown.append(report.biz_id)
    if unknown:
        log.info("Alibaba reported on %d message(s) not sent from here: %s", len(unknown), ", ".join(unknown[:5]))
    return RECEIVED


def _check_receipt_token(deps: NotifyDeps, token: str) -> None:
    expected = deps.settings.providers.alibaba_receipt_token
    if expected is None:
        raise Problem(404, "Not found", "Alibaba receipts are not configured (NOTIFY_ALIBABA_RECEIPT_TOKEN)",
                      slug="not-found")  # fmt: skip
    if not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        raise Problem(403, "Forbidden", "the receipt URL does not carry this deployment's token", slug="forbidden")


def _sms_reports(body: bytes) -> list[SmsReport]:
    """The pushed array; a body that is not one is a 422 naming the fields, never echoing them (numbers)."""
    try:
        return SMS_REPORTS.validate_json(body)
    except ValidationError as e:
        errors = [{"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
                  for err in e.errors(include_input=False)]  # fmt: skip
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in errors)
        log.warning("an SmsReport push was refused: %s", detail)
        raise Problem(422, "Invalid request", f"not an SmsReport array: {detail}", slug="invalid-request",
                      errors=errors) from e  # fmt: skip


async def _record(deps: NotifyDeps, provider: str, message_id: str, status: str, receipt: dict[str, Any]) -> str:
    """Apply one receipt and count it: delivered or undelivered, settled (already final) or unknown."""
    if await deps.sends.receipt(provider, message_id, status, receipt):
        outcome = status
    elif await deps.sends.carrying(provider, message_id):
        outcome = "settled"
    else:
        outcome = "unknown"
    deps.metrics.receipts.labels(provider, outcome).inc()
    return outcome
