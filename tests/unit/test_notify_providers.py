"""The providers' pure parts: signing, waits, backoff, configuration."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from pacs_notify.adapters.providers import ProviderSettings, build_providers
from pacs_notify.adapters.providers.alibaba import SMS_REPORTS, percent_encode, signature
from pacs_notify.adapters.providers.failover import backoff
from pacs_notify.adapters.providers.ntfy import header_text
from pacs_notify.adapters.providers.transport import retry_after
from pacs_notify.adapters.providers.webhook import signature as webhook_signature
from pacs_notify.adapters.providers.webhook import verify


def test_alibaba_signature_matches_the_example_in_alibabas_sms_documentation() -> None:
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }  # fmt: skip
    assert signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_alibaba_percent_encoding_keeps_only_the_unreserved_characters() -> None:
    assert percent_encode("a b*c~d/e+f=g&中") == "a%20b%2Ac~d%2Fe%2Bf%3Dg%26%E4%B8%AD"


def test_alibabas_documented_sms_report_reads_as_a_delivery_receipt_without_the_number() -> None:
    pushed = """[{"phone_number": "1381111****", "send_time": "2017-01-01 00:00:00",
                  "report_time": "2017-01-01 00:00:00", "success": true, "err_code": "DELIVERED",
                  "err_msg": "用户接收成功", "sms_size": "1", "biz_id": "12345********", "out_id": "67890**"},
                 {"phone_number": "1381111****", "success": false, "err_code": "MK:0001", "biz_id": "67890^0"}]"""
    delivered, undelivered = SMS_REPORTS.validate_json(pushed)
    assert (delivered.biz_id, delivered.status, delivered.out_id) == ("12345********", "delivered", "67890**")
    assert (undelivered.status, undelivered.err_code) == ("undelivered", "MK:0001")
    assert "1381111" not in repr(delivered.model_dump()), "the number is never kept"


def test_a_webhook_signature_verifies_only_for_the_same_secret_body_and_a_recent_timestamp() -> None:
    body, now = b'{"notification_id":"N-1"}', 1_700_000_000.0
    good = webhook_signature("s3cret", "1700000000", body)
    assert good.startswith("sha256=") and verify("s3cret", "1700000000", body, good, now=now + 299)
    assert not verify("s3cret", "1700000000", body + b" ", good, now=now), "a changed body"
    assert not verify("other", "1700000000", body, good, now=now), "another secret"
    assert not verify("s3cret", "1700000001", body, good, now=now), "another timestamp"
    assert not verify("s3cret", "1700000000", body, good, now=now + 301), "too old: a replay"
    assert not verify("s3cret", "soon", body, good, now=now)


def test_full_jitter_stays_under_a_cap_that_doubles_up_to_the_maximum() -> None:
    rng = random.Random(7)
    for retry, cap in enumerate([0.5, 1.0, 2.0, 4.0, 5.0, 5.0]):
        delays = [backoff(retry, base_delay=0.5, max_delay=5.0, rng=rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays) and max(delays) > cap * 0.8


@pytest.mark.parametrize(("value", "expected"), [("3", 3.0), ("0", 0.0), (None, None), ("soon", None)])
def test_retry_after_is_read_as_seconds(value: str | None, expected: float | None) -> None:
    headers = {"Retry-After": value} if value is not None else {}
    assert retry_after(httpx.Response(429, headers=headers)) == expected


def test_retry_after_is_read_as_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert retry_after(httpx.Response(503, headers={"Retry-After": when})) == pytest.approx(30, abs=1.5)


def test_ntfy_titles_outside_ascii_travel_as_rfc_2047() -> None:
    assert header_text("[PACS] INC-1") == "[PACS] INC-1"
    assert str(make_header(decode_header(header_text("[PACS] INC-1 严重故障")))) == "[PACS] INC-1 严重故障"


def settings(**values: Any) -> ProviderSettings:
    return ProviderSettings(_env_file=None, **values)


def service_account_json() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return json.dumps(
        {"type": "service_account", "project_id": "p", "client_email": "n@p.iam.gserviceaccount.com",
         "private_key": key.decode(), "private_key_id": "k", "token_uri": "https://oauth2.example/token"}
    )  # fmt: skip


NOT_A_KEY = json.dumps(
    {"type": "service_account", "project_id": "p", "client_email": "n@p.iam.gserviceaccount.com",
     "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "token_uri": "https://t"}
)  # fmt: skip


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"sms_providers": ["twilio"], "twilio_account_sid": "AC1", "twilio_from": "+1"}, "NOTIFY_TWILIO_AUTH_TOKEN"),
        ({"sms_providers": ["twilio"], "twilio_account_sid": "AC1", "twilio_auth_token": "t"}, "NOTIFY_TWILIO_FROM"),
        ({"sms_providers": ["alibaba"], "alibaba_access_key_id": "id", "alibaba_access_key_secret": "s",
          "alibaba_sign_name": "PACS"}, "NOTIFY_ALIBABA_TEMPLATE_CODE"),
        ({"push_providers": ["jpush"], "jpush_app_key": "k"}, "NOTIFY_JPUSH_MASTER_SECRET"),
        ({"push_providers": ["fcm"]}, "NOTIFY_FCM_SERVICE_ACCOUNT"),
        ({"push_providers": ["fcm"], "fcm_service_account": "{}"}, "NOTIFY_FCM_SERVICE_ACCOUNT"),
        ({"push_providers": ["fcm"], "fcm_service_account": "not json"}, "NOTIFY_FCM_SERVICE_ACCOUNT"),
        ({"push_providers": ["fcm"], "fcm_service_account": NOT_A_KEY}, "NOTIFY_FCM_SERVICE_ACCOUNT"),
        ({"sms_providers": ["fcm"]}, "NOTIFY_SMS_PROVIDERS"),
        ({"push_providers": ["apns"]}, "NOTIFY_PUSH_PROVIDERS"),
        ({"webhook_url": "https://hooks.example/pso", "webhook_secret": "short"}, "NOTIFY_WEBHOOK_SECRET"),
        ({"alibaba_receipt_token": "short"}, "NOTIFY_ALIBABA_RECEIPT_TOKEN"),
        ({"alibaba_receipt_token": ""}, "NOTIFY_ALIBABA_RECEIPT_TOKEN"),
        ({"alibaba_receipt_token": "x" * 40 + "/"}, "NOTIFY_ALIBABA_RECEIPT_TOKEN"),
    ],
)  # fmt: skip
def test_a_configured_provider_without_its_credentials_is_refused_naming_the_variable(
    values: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        settings(**values)


def test_providers_are_built_in_the_configured_order() -> None:
    configured = settings(
        sms_providers=["alibaba", "twilio"], push_providers=["jpush", "fcm", "ntfy"],
        twilio_account_sid="AC1", twilio_auth_token="t", twilio_messaging_service_sid="MG1",
        alibaba_access_key_id="id", alibaba_access_key_secret="s", alibaba_sign_name="PACS",
        alibaba_template_code="SMS_1", jpush_app_key="k", jpush_master_secret="m",
        fcm_service_account=service_account_json(),
        webhook_url="https://hooks.example/pso", webhook_secret="x" * 32,
    )  # fmt: skip
    providers = build_providers(configured, httpx.AsyncClient())
    assert [p.name for p in providers.sms] == ["alibaba", "twilio"]
    assert [p.name for p in providers.push] == ["jpush", "fcm", "ntfy"]
    assert [p.kind for p in (*providers.webhook, *providers.log)] == ["webhook", "log"]


def test_a_refused_configuration_does_not_repeat_its_secrets() -> None:
    with pytest.raises(ValidationError) as refused:
        settings(sms_providers=["twilio"], twilio_account_sid="AC1", twilio_auth_token="do-not-print-me")
    assert "NOTIFY_TWILIO_FROM" in str(refused.value) and "do-not-print-me" not in str(refused.value)
