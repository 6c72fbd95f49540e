"""Alibaba's delivery reports (SmsReport, pushed over HTTP) settle the SMS they report on: the SMS goes out through
a Dysmsapi-shaped server on loopback, notify keeps its BizId, and the report pushed back with it marks the delivery
delivered, or undelivered with Alibaba's reason. Real broker, real database."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from pacs_contracts import Envelope
from pacs_contracts.common import Severity, Tier
from pacs_contracts.events import IncidentOpened
from pacs_notify.adapters.providers import ProviderSettings
from pacs_notify.main import create_app as notify_app
from pacs_notify.settings import NotifySettings
from tests.integration.conftest import running
from tests.integration.test_notify_providers import ALIBABA_SECRET, FakeApi, Seen, alibaba_signature, serving
from tests.support import bearer, eventually, publish, register_engineer

PHONE = "+8613800138000"
INCIDENT = "INC-R1"
BIZ_ID = "900619746936498440^0"
TOKEN = "pso-receipts-0123456789abcdefghijklmnop"
RECEIPTS = "/api/v1/sms/status/alibaba"
ALIBABA = {"Authorization": ""}  # Alibaba's push carries no credentials of ours but the URL's token
JSON = {"Content-Type": "application/json"}


def check_send_sms(seen: Seen) -> None:
    params = seen.form()
    assert params.pop("Signature") == alibaba_signature("POST", params), "signed as Alibaba checks it"
    assert (params["Action"], params["PhoneNumbers"]) == ("SendSms", PHONE.removeprefix("+"))


def make_report(**overrides: Any) -> dict[str, Any]:
    """One report as Alibaba pushes it (every documented field), for the SMS the fake Dysmsapi accepted."""
    report = {
        "phone_number": PHONE.removeprefix("+86"), "send_time": "2025-03-01 09:30:00",
        "report_time": "2025-03-01 09:30:04", "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功",
        "sms_size": "1", "biz_id": BIZ_ID, "out_id": "N-0123456789ABCDEF",
    }  # fmt: skip
    return report | overrides


@contextlib.asynccontextmanager
async def sms_sent(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """Notify with Alibaba as its SMS provider, once it has sent INCIDENT's SMS to the engineer."""
    answer = {"Code": "OK", "Message": "OK", "BizId": BIZ_ID, "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"}
    async with serving(FakeApi(check_send_sms, [(200, answer, {})])) as dysmsapi:
        providers = ProviderSettings(
            sms_providers=["alibaba"], alibaba_access_key_id="LTAI-test-id", alibaba_access_key_secret=ALIBABA_SECRET,
            alibaba_sign_name="PACS运维", alibaba_template_code="SMS_123456789", alibaba_base_url=dysmsapi.base_url,
            alibaba_receipt_token=TOKEN, retry_base_delay_seconds=0.01,
        )  # fmt: skip
        notify = notify_app(settings_for(NotifySettings, log_path=str(tmp_path / "log"), providers=providers,
                                         public_url="https://pso.example"))  # fmt: skip
        async with running(notify, bearer(notify.state.kit, "ops", "admin")) as ntf:
            await register_engineer(
                amqp_url, namespace, ntf, "ENG-R", {"phones": [PHONE], "rules": [{"channel": "sms"}]}
            )
            opened = IncidentOpened(incident_id=INCIDENT, site_id="SITE-R", fault_id=None, tier=Tier.L1,
                                    assignee_id="ENG-R", severity=Severity.critical, summary="PACS-ARCHIVE-DOWN",
                                    opened_at=datetime.now(UTC))  # fmt: skip
            await publish(amqp_url, namespace, Envelope.wrap(opened, producer="escalation"))

            async def sent() -> dict[str, Any] | None:
                found = await sms_delivery(ntf)
                return found if found and found["status"] == "sent" else None

            delivery = await eventually(sent, timeout=15, what="the SMS accepted by Dysmsapi")
            assert (delivery["provider"], delivery["provider_message_id"]) == ("alibaba", BIZ_ID)
            yield ntf


async def sms_delivery(ntf: httpx.AsyncClient) -> dict[str, Any] | None:
    items = (await ntf.get("/api/v1/notifications", params={"incident_id": INCIDENT})).json()["items"]
    deliveries = [d for n in items for d in n["deliveries"] if d["channel"] == "sms"]
    return deliveries[0] if deliveries else None


async def push(ntf: httpx.AsyncClient, body: Any, token: str | None = TOKEN) -> httpx.Response:
    params = {"token": token} if token is not None else {}
    if isinstance(body, bytes):
        return await ntf.post(RECEIPTS, params=params, content=body, headers=ALIBABA | JSON)
    return await ntf.post(RECEIPTS, params=params, json=body, headers=ALIBABA)


async def test_a_delivered_report_marks_the_sms_delivered_and_a_late_failure_does_not_undo_it(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    async with sms_sent(amqp_url, namespace, settings_for, tmp_path) as ntf:
        answer = await push(ntf, [make_report()])
        assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
        delivery = await sms_delivery(ntf)
        assert delivery is not None and delivery["status"] == "delivered"
        assert delivery["attempts"][-1]["outcome"] == "delivered" and delivery["attempts"][-1]["error"] is None

        late = await push(ntf, [make_report(success=False, err_code="MK:0001", err_msg="用户关机")])
        assert late.status_code == 200 and late.json()["code"] == 0
        again = await sms_delivery(ntf)
        assert again is not None and again["status"] == "delivered" and again["attempts"] == delivery["attempts"]
        metrics = (await ntf.get("/metrics")).text
        assert 'pacs_notify_receipts_total{outcome="delivered",provider="alibaba"} 1.0' in metrics
        assert 'pacs_notify_receipts_total{outcome="settled",provider="alibaba"} 1.0' in metrics


async def test_a_failed_report_marks_the_sms_undelivered_with_alibabas_code(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    async with sms_sent(amqp_url, namespace, settings_for, tmp_path) as ntf:
        answer = await push(ntf, [make_report(success=False, err_code="MK:0001", err_msg="用户关机")])
        assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
        delivery = await sms_delivery(ntf)
        assert delivery is not None and delivery["status"] == "undelivered"
        assert {k: delivery["attempts"][-1][k] for k in ("provider", "outcome", "error")} == {
            "provider": "alibaba", "outcome": "undelivered", "error": "MK:0001",
        }  # fmt: skip
        assert (await push(ntf, [make_report()])).status_code == 200
        assert (await sms_delivery(ntf) or {})["status"] == "undelivered", "a later report does not revive it"


@pytest.mark.parametrize(
    ("token", "body", "status"),
    [
        pytest.param("pso-receipts-0123456789abcdefghijklmnoq", [make_report()], 403, id="one-character-off"),
        pytest.param("", [make_report()], 403, id="empty-token"),
        pytest.param(None, [make_report()], 403, id="no-token"),
        pytest.param(TOKEN, make_report(), 422, id="one-report-not-an-array"),
        pytest.param(TOKEN, [make_report(success="perhaps")], 422, id="success-not-a-bool"),
        pytest.param(TOKEN, [{k: v for k, v in make_report().items() if k != "biz_id"}], 422, id="no-biz-id"),
        pytest.param(TOKEN, [PHONE], 422, id="a-number-not-a-report"),
        pytest.param(TOKEN, b'[{"biz_id": ', 422, id="not-json"),
    ],
)
async def test_a_report_without_the_token_or_not_as_documented_is_refused_and_changes_nothing(
    token: str | None, body: Any, status: int, amqp_url: str, namespace: str, settings_for: Callable[..., Any],
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.INFO)
    async with sms_sent(amqp_url, namespace, settings_for, tmp_path) as ntf:
        refused = await push(ntf, body, token)
        assert refused.status_code == status and refused.headers["content-type"] == "application/problem+json"
        assert PHONE.removeprefix("+86") not in refused.text, "the problem names the field, not its value"
        assert (await sms_delivery(ntf) or {})["status"] == "sent"
    assert PHONE.removeprefix("+86") not in caplog.text


async def test_a_report_on_a_message_not_sent_from_here_is_answered_counted_and_ignored(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with sms_sent(amqp_url, namespace, settings_for, tmp_path) as ntf:
        answer = await push(ntf, [make_report(biz_id="123456789012345678^0"), make_report(biz_id="999^0")])
        assert answer.status_code == 200 and answer.json()["code"] == 0, "answered, lest Alibaba push it again"
        assert (await push(ntf, [])).json()["code"] == 0
        assert (await sms_delivery(ntf) or {})["status"] == "sent"
        metrics = (await ntf.get("/metrics")).text
        assert 'pacs_notify_receipts_total{outcome="unknown",provider="alibaba"} 2.0' in metrics
    assert "123456789012345678^0" in caplog.text and PHONE.removeprefix("+86") not in caplog.text
