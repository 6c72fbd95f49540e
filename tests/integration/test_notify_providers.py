"""Each provider against a server on loopback that checks its requests as the provider documents them.

No broker and no database: a uvicorn thread per fake API, the real HTTP client, the real retry and failover.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import hmac
import json
import random
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pacs_notify.adapters.providers import Message, Outcome, Provider, deliver
from pacs_notify.adapters.providers.alibaba import AlibabaSms
from pacs_notify.adapters.providers.fcm import AccessTokens, Fcm, ServiceAccount
from pacs_notify.adapters.providers.jpush import JPush
from pacs_notify.adapters.providers.log import LogProvider
from pacs_notify.adapters.providers.ntfy import Ntfy
from pacs_notify.adapters.providers.transport import new_client
from pacs_notify.adapters.providers.twilio import Twilio
from pacs_notify.adapters.providers.webhook import Webhook, verify
from tests.support import eventually

Answer = tuple[int, Any, dict[str, str]]
BASE_DELAY, MAX_DELAY = 0.01, 0.2
ACK_URL = "https://pso.example/ack/tok-123"
ADDRESSES = {
    "sms": "+8613800138000", "jpush": "1a0018970a9f7d1b2b6", "fcm": "fcm-device-token-1", "ntfy": "pacs-eng-42",
    "webhook": "ENG-42", "log": "ENG-42",
}  # fmt: skip


def make_message(**overrides: Any) -> Message:
    fields: dict[str, Any] = {
        "notification_ids": ("N-0123456789ABCDEF",), "to": ADDRESSES, "title": "[PACS] INC-1 严重故障",
        "body": f"[PACS] INC-1 SITE-EAST-01 故障（critical）：存档拒收。L1 由您负责，请立即响应。 确认：{ACK_URL}",
        "ack_url": ACK_URL, "severity": "critical", "locale": "zh-CN", "incident_ids": ("INC-1",),
        "site_id": "SITE-EAST-01",
    }  # fmt: skip
    return Message(**(fields | overrides))


MESSAGE = make_message()


# --- a fake provider API on loopback -------------------------------------------------------------------------------


@dataclass
class Seen:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        pairs = parse_qsl(self.body.decode(), keep_blank_values=True, strict_parsing=True)
        assert len(pairs) == len(dict(pairs)), f"a parameter sent twice: {pairs}"
        return dict(pairs)

    def json(self) -> Any:
        return json.loads(self.body)

    def basic_auth(self) -> tuple[str, str]:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        assert scheme == "Basic", f"HTTP Basic auth expected, got {scheme!r}"
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user, password


@dataclass
class FakeApi:
    """Checks every request as documented, then answers from its script (the last answer repeats)."""

    check: Callable[[Seen], None]
    script: list[Answer]
    side: Mapping[str, Callable[[Seen], Answer]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)  # access tokens, for the APIs that issue them
    base_url: str = ""

    async def endpoint(self, request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        seen = Seen(time.monotonic(), request.method, request.url.path, headers, await request.body())
        try:
            if seen.path in self.side:
                status, body, extra = self.side[seen.path](seen)
            else:
                self.requests.append(seen)
                self.check(seen)
                status, body, extra = self.script[min(len(self.requests), len(self.script)) - 1]
        except AssertionError as e:
            self.problems.append(f"{seen.method} {seen.path}: {e}")
            return Response(f"request not as documented: {e}", status_code=418)
        content = json.dumps(body, ensure_ascii=False).encode()
        return Response(content, status, {"content-type": "application/json"} | extra)


@contextlib.asynccontextmanager
async def serving(api: FakeApi) -> AsyncIterator[FakeApi]:
    app = Starlette(routes=[Route("/{path:path}", api.endpoint, methods=["GET", "POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        await eventually(lambda: server.started, timeout=10, what="the fake provider API starting")
        api.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        yield api
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()
        if api.problems:
            raise AssertionError(f"requests not as documented: {api.problems}")


# --- each provider as documented -----------------------------------------------------------------------------------


def check_twilio(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/2010-04-01/Accounts/AC0123456789/Messages.json")
    assert seen.basic_auth() == ("AC0123456789", "twilio-auth-token")
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen.form() == {
        "To": "+8613800138000", "From": "+15005550006", "Body": MESSAGE.body,
        "StatusCallback": "https://pso.example/twilio/status",
    }  # fmt: skip


def twilio_error(status: int, code: int, message: str) -> Answer:
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    return status, {"code": code, "message": message, "more_info": more_info, "status": status}, {}


def build_twilio(client: httpx.AsyncClient, api: FakeApi) -> Provider:
    return Twilio(
        client, account_sid="AC0123456789", auth_token="twilio-auth-token", from_number="+15005550006",
        status_callback="https://pso.example/twilio/status", base_url=api.base_url,
    )  # fmt: skip


ALIBABA_SECRET = "alibaba-access-key-secret"
ALIBABA_COMMON = {
    "AccessKeyId": "LTAI-test-id", "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
    "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Version": "2017-05-25",
}  # fmt: skip


def alibaba_signature(method: str, params: Mapping[str, str]) -> str:
    """Recomputed here as Alibaba documents RPC v1, independently of the adapter."""

    def encode(value: str) -> str:
        return quote(value, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")

    canonical = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()))
    to_sign = method + "&" + encode("/") + "&" + encode(canonical)
    return base64.b64encode(hmac.new(f"{ALIBABA_SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def check_alibaba(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/")
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    params = seen.form()
    signature = params.pop("Signature")
    assert signature == alibaba_signature("POST", params), "signature as Alibaba computes it"
    assert {k: params[k] for k in ALIBABA_COMMON} == ALIBABA_COMMON
    sent = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 60, "Timestamp is ISO 8601 UTC, now"
    assert re.fullmatch(r"[0-9a-f]{32}", params["SignatureNonce"])
    assert params["PhoneNumbers"] == "8613800138000"
    assert (params["SignName"], params["TemplateCode"], params["OutId"]) == (
        "PACS运维",
        "SMS_123456789",
        MESSAGE.notification_id,
    )
    assert json.loads(params["TemplateParam"]) == {"site": "SITE-EAST-01", "severity": "critical", "code": "INC-1"}
    assert set(params) == {*ALIBABA_COMMON, "Timestamp", "SignatureNonce", "PhoneNumbers", "SignName", "TemplateCode",
                           "TemplateParam", "OutId"}  # fmt: skip


def alibaba_answer(code: str, message: str, status: int = 200, **extra: str) -> Answer:
    return status, {"Code": code, "Message": message, "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"} | extra, {}


def build_alibaba(client: httpx.AsyncClient, api: FakeApi) -> Provider:
    return AlibabaSms(
        client, access_key_id="LTAI-test-id", access_key_secret=ALIBABA_SECRET, sign_name="PACS运维",
        template_code="SMS_123456789", base_url=api.base_url,
    )  # fmt: skip


FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_EMAIL = "notify@pso-test.iam.gserviceaccount.com"


@functools.cache
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account(token_uri: str) -> ServiceAccount:
    pem = rsa_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = {"type": "service_account", "project_id": "pso-test", "private_key_id": "key-1", "private_key": pem.decode(),
           "client_email": FCM_EMAIL, "token_uri": token_uri}  # fmt: skip
    return ServiceAccount.from_json(json.dumps(key))


def fcm_api(*script: Answer) -> FakeApi:
    """FCM's send endpoint, and Google's token endpoint at /token for the service account's JWT bearer grant."""
    api = FakeApi(lambda seen: check_fcm(seen, api.issued), list(script))

    def token(seen: Seen) -> Answer:
        assert (seen.method, seen.headers["content-type"]) == ("POST", "application/x-www-form-urlencoded")
        form = seen.form()
        assert set(form) == {"grant_type", "assertion"}
        assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        assert jwt.get_unverified_header(form["assertion"]) == {"alg": "RS256", "typ": "JWT", "kid": "key-1"}
        audience = f"http://{seen.headers['host']}/token"
        claims = jwt.decode(form["assertion"], rsa_key().public_key(), algorithms=["RS256"], audience=audience)
        assert (claims["iss"], claims["scope"], claims["exp"] - claims["iat"]) == (FCM_EMAIL, FCM_SCOPE, 3600)
        api.issued.append(f"ya29.test-token-{len(api.issued) + 1}")
        return 200, {"access_token": api.issued[-1], "expires_in": 3599, "token_type": "Bearer"}, {}

    api.side = {"/token": token}
    return api


def check_fcm(seen: Seen, issued: list[str]) -> None:
    assert (seen.method, seen.path) == ("POST", "/v1/projects/pso-test/messages:send")
    assert issued and seen.headers["authorization"] == f"Bearer {issued[-1]}", "the newest access token"
    assert seen.headers["content-type"] == "application/json"
    data = {
        "notification_id": MESSAGE.notification_id,
        "incident_id": "INC-1",
        "ack_url": ACK_URL,
        "severity": "critical",
    }
    notification = {"title": MESSAGE.title, "body": MESSAGE.body}
    assert seen.json() == {
        "message": {"token": "fcm-device-token-1", "notification": notification, "data": data,
                    "android": {"priority": "high"}},
    }  # fmt: skip


def check_fcm_never(seen: Seen) -> None:
    raise AssertionError("no message may be sent without an access token")


def fcm_error(status: int, state: str, code: str, message: str, **headers: str) -> Answer:
    detail = {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}
    return status, {"error": {"code": status, "message": message, "status": state, "details": [detail]}}, headers


def build_fcm(client: httpx.AsyncClient, api: FakeApi) -> Provider:
    return Fcm(client, service_account(f"{api.base_url}/token"), base_url=api.base_url)


def check_jpush(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/v3/push")
    assert seen.basic_auth() == ("jpush-app-key", "jpush-master-secret")
    assert seen.headers["content-type"] == "application/json"
    extras = {"notification_id": MESSAGE.notification_id, "incident_id": "INC-1", "ack_url": ACK_URL}
    assert seen.json() == {
        "platform": "all",
        "audience": {"registration_id": ["1a0018970a9f7d1b2b6"]},
        "notification": {
            "alert": MESSAGE.body,
            "android": {"alert": MESSAGE.body, "title": MESSAGE.title, "priority": 2, "extras": extras},
            "ios": {"alert": {"title": MESSAGE.title, "body": MESSAGE.body}, "sound": "default", "extras": extras},
        },
        "options": {"time_to_live": 3600, "apns_production": False},
    }


def jpush_error(status: int, code: int, message: str, **headers: str) -> Answer:
    return status, {"error": {"code": code, "message": message}, "msg_id": "18100000000001"}, headers


JPUSH_WINDOW_SPENT = {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "0"}


def build_jpush(client: httpx.AsyncClient, api: FakeApi) -> Provider:
    return JPush(
        client, app_key="jpush-app-key", master_secret="jpush-master-secret", base_url=api.base_url,
        apns_production=False,
    )  # fmt: skip


def check_ntfy(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/pacs-eng-42")
    assert seen.headers["authorization"] == "Bearer tk_ntfytesttoken"
    assert seen.headers["content-type"] == "text/plain; charset=utf-8"
    assert str(make_header(decode_header(seen.headers["title"]))) == MESSAGE.title, "RFC 2047 title decodes"
    assert (seen.headers["priority"], seen.headers["tags"], seen.headers["click"]) == (
        "urgent", "rotating_light,pacs", ACK_URL,
    )  # fmt: skip
    assert seen.body.decode() == MESSAGE.body


def ntfy_error(status: int, code: int, error: str) -> Answer:
    return status, {"code": code, "http": status, "error": error, "link": "https://ntfy.sh/docs/publish/"}, {}


def build_ntfy(client: httpx.AsyncClient, api: FakeApi) -> Provider:
    return Ntfy(client, base_url=api.base_url, token="tk_ntfytesttoken")


WEBHOOK_SECRET = "webhook-shared-secret-0123456789abcdef"


def check_webhook(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/hooks/pso")
    assert seen.headers["content-type"] == "application/json"
    timestamp, signature = seen.headers["x-pso-timestamp"], seen.headers["x-pso-signature"]
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", signature)
    assert verify(WEBHOOK_SECRET, timestamp, seen.body, signature, tolerance=60), "signature over timestamp.body"
    body = seen.json()
    assert datetime.fromisoformat(body.pop("sent_at")).timestamp() == pytest.approx(int(timestamp), abs=1)
    assert body == {
        "notification_id": MESSAGE.notification_id, "incident_id": "INC-1", "site_id": "SITE-EAST-01", "to": "ENG-42",
        "title": MESSAGE.title, "body": MESSAGE.body, "ack_url": ACK_URL, "severity": "critical", "locale": "zh-CN",
    }  # fmt: skip


def build_webhook(client: httpx.AsyncClient, api: FakeApi) -> Provider:
    return Webhook(client, url=f"{api.base_url}/hooks/pso", secret=WEBHOOK_SECRET)


@dataclass(frozen=True)
class Case:
    name: str
    api: Callable[..., FakeApi]
    build: Callable[[httpx.AsyncClient, FakeApi], Provider]
    accepted: Answer
    message_id: str | None
    rate_limited: Answer
    rate_limit_pause: float | None  # what the provider asked for, capped; None: our own backoff
    server_error: Answer
    invalid_recipient: Answer | None = None
    invalid_code: str | None = None

    def __str__(self) -> str:
        return self.name


def plain(check: Callable[[Seen], None]) -> Callable[..., FakeApi]:
    return lambda *script: FakeApi(check, list(script))


CASES = [
    Case(
        "twilio", plain(check_twilio), build_twilio,
        accepted=(201, {"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}, {}),
        message_id="SM0123456789abcdef0123456789abcdef",
        rate_limited=twilio_error(429, 20429, "Too Many Requests"), rate_limit_pause=None,
        server_error=twilio_error(500, 20500, "Internal Server Error"),
        invalid_recipient=twilio_error(400, 21211, "The 'To' number +8613800138000 is not a valid phone number."),
        invalid_code="21211",
    ),
    Case(
        "alibaba", plain(check_alibaba), build_alibaba,
        accepted=alibaba_answer("OK", "OK", BizId="900619746936498440^0"), message_id="900619746936498440^0",
        rate_limited=alibaba_answer("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"), rate_limit_pause=None,
        server_error=alibaba_answer("ServiceUnavailable", "The request has failed due to a temporary failure.", 503),
        invalid_recipient=alibaba_answer("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
        invalid_code="isv.MOBILE_NUMBER_ILLEGAL",
    ),
    Case(
        "fcm", fcm_api, build_fcm,
        accepted=(200, {"name": "projects/pso-test/messages/0:1500415314455276%31bd1c9631bd1c96"}, {}),
        message_id="projects/pso-test/messages/0:1500415314455276%31bd1c9631bd1c96",
        rate_limited=fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.", **{"Retry-After": "1"}),
        rate_limit_pause=MAX_DELAY,
        server_error=fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable."),
        invalid_recipient=fcm_error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found."),
        invalid_code="UNREGISTERED",
    ),
    Case(
        "jpush", plain(check_jpush), build_jpush,
        accepted=(200, {"sendno": "0", "msg_id": "54043195528931425"}, {}), message_id="54043195528931425",
        rate_limited=jpush_error(429, 2002, "Request times of the app_key exceed the limit of current time window",
                                 **JPUSH_WINDOW_SPENT),
        rate_limit_pause=0.0,
        server_error=jpush_error(500, 1000, "Server internal error"),
        invalid_recipient=jpush_error(400, 1011, "cannot find user by this audience"), invalid_code="1011",
    ),
    Case(
        "ntfy", plain(check_ntfy), build_ntfy,
        accepted=(200, {"id": "sPs71M8A2T", "time": 1700000000, "event": "message", "topic": "pacs-eng-42"}, {}),
        message_id="sPs71M8A2T",
        rate_limited=ntfy_error(429, 42901, "limit reached: too many requests"), rate_limit_pause=None,
        server_error=ntfy_error(500, 50001, "internal server error"),
        invalid_recipient=ntfy_error(400, 40009, "invalid request: topic invalid"), invalid_code="40009",
    ),
    Case(
        "webhook", plain(check_webhook), build_webhook,
        accepted=(202, {"id": "evt-1"}, {}), message_id="evt-1",
        rate_limited=(429, {"detail": "slow down"}, {"Retry-After": "0"}), rate_limit_pause=0.0,
        server_error=(502, {"detail": "bad gateway"}, {}),
    ),
]  # fmt: skip
BY_NAME = {case.name: case for case in CASES}


# --- the tests -----------------------------------------------------------------------------------------------------


class Ceiling(random.Random):
    """Full jitter's upper bound every time, so the pauses are known."""

    def uniform(self, a: float, b: float) -> float:
        return b


async def send(*providers: Provider, message: Message = MESSAGE, attempts: int = 3) -> Outcome:
    return await deliver(
        message, providers, attempts=attempts, base_delay=BASE_DELAY, max_delay=MAX_DELAY, rng=Ceiling()
    )


def outcomes(outcome: Outcome) -> list[tuple[str, str]]:
    return [(a.provider, a.outcome) for a in outcome.attempts]


def assert_paced(api: FakeApi, pauses: list[float]) -> None:
    """The server saw the retries no sooner than the pauses the outcome says it took."""
    gaps = [later.at - earlier.at for earlier, later in pairwise(api.requests)]
    assert all(gap >= pause - 0.001 for gap, pause in zip(gaps, pauses, strict=True)), (gaps, pauses)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(timeout=5.0, connect_timeout=2.0) as client:
        yield client


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_an_accepted_message_gives_the_providers_message_id(case: Case, client: httpx.AsyncClient) -> None:
    async with serving(case.api(case.accepted)) as api:
        outcome = await send(case.build(client, api))
    assert outcome.receipt is not None and outcome.receipt.message_id == case.message_id
    assert outcomes(outcome) == [(case.name, "sent")] and len(api.requests) == 1


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_rate_limited_is_retried_and_delivered_when_it_clears(case: Case, client: httpx.AsyncClient) -> None:
    async with serving(case.api(case.rate_limited, case.rate_limited, case.accepted)) as api:
        outcome = await send(case.build(client, api))
    assert outcome.receipt is not None and outcome.receipt.message_id == case.message_id
    assert outcomes(outcome) == [(case.name, "transient")] * 2 + [(case.name, "sent")]
    pauses = [a.retry_in for a in outcome.attempts[:2]]
    expected = [case.rate_limit_pause] * 2 if case.rate_limit_pause is not None else [BASE_DELAY, 2 * BASE_DELAY]
    assert pauses == expected, "the provider's wait when it names one (capped), else growing backoff"
    assert_paced(api, expected)


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_server_errors_are_retried_with_growing_pauses(case: Case, client: httpx.AsyncClient) -> None:
    async with serving(case.api(case.server_error, case.server_error, case.accepted)) as api:
        outcome = await send(case.build(client, api))
    assert outcome.delivered and len(api.requests) == 3
    assert [a.retry_in for a in outcome.attempts] == [BASE_DELAY, 2 * BASE_DELAY, None]
    assert_paced(api, [BASE_DELAY, 2 * BASE_DELAY])


@pytest.mark.parametrize("case", [c for c in CASES if c.invalid_recipient], ids=str)
async def test_an_invalid_recipient_is_not_retried(case: Case, client: httpx.AsyncClient) -> None:
    assert case.invalid_recipient is not None
    async with serving(case.api(case.invalid_recipient, case.accepted)) as api:
        outcome = await send(case.build(client, api))
    assert not outcome.delivered and not outcome.retryable
    assert outcomes(outcome) == [(case.name, "permanent")] and len(api.requests) == 1
    assert outcome.attempts[0].code == case.invalid_code


@pytest.mark.parametrize(
    ("first", "second"),
    [("alibaba", "twilio"), ("twilio", "alibaba"), ("jpush", "fcm"), ("fcm", "ntfy"), ("ntfy", "jpush"),
     ("webhook", "ntfy")],
)  # fmt: skip
async def test_the_second_provider_delivers_after_repeated_server_errors(
    first: str, second: str, client: httpx.AsyncClient
) -> None:
    failing, working = BY_NAME[first], BY_NAME[second]
    async with serving(failing.api(failing.server_error)) as down, serving(working.api(working.accepted)) as up:
        outcome = await send(failing.build(client, down), working.build(client, up))
    assert outcome.receipt is not None and outcome.receipt.provider == second
    assert outcomes(outcome) == [(first, "transient")] * 3 + [(second, "sent")]
    assert len(down.requests) == 3 and len(up.requests) == 1
    log = [attempt.as_record() for attempt in outcome.attempts]
    assert [(r["provider"], r["retry_in"], bool(r["error"])) for r in log] == [
        (first, BASE_DELAY, True), (first, 2 * BASE_DELAY, True), (first, None, True), (second, None, False),
    ], "each attempt logged with its provider, the pause after it and why it failed"  # fmt: skip
    assert [r["at"] for r in log] == sorted(r["at"] for r in log) and all(r["seconds"] >= 0 for r in log)


async def test_a_refused_number_is_not_sent_again_through_another_sms_provider(client: httpx.AsyncClient) -> None:
    twilio, alibaba = BY_NAME["twilio"], BY_NAME["alibaba"]
    assert twilio.invalid_recipient is not None
    async with serving(twilio.api(twilio.invalid_recipient)) as first, serving(alibaba.api(alibaba.accepted)) as second:
        outcome = await send(twilio.build(client, first), alibaba.build(client, second))
    assert outcomes(outcome) == [("twilio", "permanent"), ("alibaba", "skipped")]
    assert second.requests == [], "the same number goes nowhere else"


async def test_an_unregistered_token_still_lets_another_push_service_try_its_own(client: httpx.AsyncClient) -> None:
    fcm, jpush = BY_NAME["fcm"], BY_NAME["jpush"]
    assert fcm.invalid_recipient is not None
    async with serving(fcm.api(fcm.invalid_recipient)) as first, serving(jpush.api(jpush.accepted)) as second:
        outcome = await send(fcm.build(client, first), jpush.build(client, second))
    assert outcomes(outcome) == [("fcm", "permanent"), ("jpush", "sent")], "a JPush id is another address"


async def test_a_refused_account_hands_over_at_once(client: httpx.AsyncClient) -> None:
    unauthorized, alibaba = twilio_error(401, 20003, "Authenticate"), BY_NAME["alibaba"]
    async with serving(plain(check_twilio)(unauthorized)) as first, serving(alibaba.api(alibaba.accepted)) as second:
        outcome = await send(build_twilio(client, first), build_alibaba(client, second))
    assert outcomes(outcome) == [("twilio", "permanent"), ("alibaba", "sent")] and len(first.requests) == 1


async def test_fcm_access_token_is_cached_until_shortly_before_expiry(client: httpx.AsyncClient) -> None:
    issued_at = time.time() - 3570  # an hour's token fetched nearly an hour ago: the server still takes its JWT
    clock = [issued_at]
    async with serving(fcm_api(BY_NAME["fcm"].accepted)) as api:
        account = service_account(f"{api.base_url}/token")
        fcm = Fcm(client, account, base_url=api.base_url, tokens=AccessTokens(client, account, clock=lambda: clock[0]))
        for at in (0, 1, 3599 - 61):
            clock[0] = issued_at + at
            assert (await send(fcm)).delivered
        assert len(api.issued) == 1, "one token while it has more than a minute to live"
        clock[0] = issued_at + 3599 - 59
        assert (await send(fcm)).delivered
        assert len(api.issued) == 2 and len(api.requests) == 4, "a fresh token in the token's last minute"


async def test_fcm_fetches_a_new_token_when_the_old_one_is_refused(client: httpx.AsyncClient) -> None:
    expired = fcm_error(401, "UNAUTHENTICATED", "UNAUTHENTICATED", "Request had invalid authentication credentials.")
    async with serving(fcm_api(expired, BY_NAME["fcm"].accepted)) as api:
        outcome = await send(build_fcm(client, api))
    assert outcomes(outcome) == [("fcm", "transient"), ("fcm", "sent")] and len(api.issued) == 2


async def test_a_refused_service_account_hands_over_to_the_next_push_service(client: httpx.AsyncClient) -> None:
    def refuse(seen: Seen) -> Answer:
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, {}

    jpush = BY_NAME["jpush"]
    async with (
        serving(FakeApi(check_fcm_never, [], {"/token": refuse})) as google,
        serving(jpush.api(jpush.accepted)) as jiguang,
    ):
        outcome = await send(build_fcm(client, google), jpush.build(client, jiguang))
    assert outcomes(outcome) == [("fcm", "permanent"), ("jpush", "sent")]
    assert "Invalid JWT Signature" in (outcome.attempts[0].error or "")


def assert_released(release: threading.Event) -> None:
    """Holds the fake server's answer until the test is done with it."""
    assert release.wait(10), "the test never released the held answer"


async def test_a_server_that_does_not_answer_in_time_is_retried_then_left(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    release = threading.Event()
    slow = FakeApi(lambda seen: assert_released(release), [BY_NAME["webhook"].accepted])
    async with new_client(timeout=0.2) as impatient, serving(slow) as api:
        try:
            outcome = await send(build_webhook(impatient, api), LogProvider(str(tmp_path / "log")), attempts=2)
        finally:
            release.set()
    assert outcomes(outcome) == [("webhook", "transient"), ("webhook", "transient"), ("log", "sent")]
    assert "timed out" in (outcome.attempts[0].error or "")


async def test_a_refused_connection_is_transient_and_the_log_provider_takes_over(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{closed.getsockname()[1]}"
        log = tmp_path / "messages.log"
        outcome = await send(Ntfy(client, base_url=nobody), LogProvider(str(log)))
    assert outcomes(outcome) == [("ntfy", "transient")] * 3 + [("log", "sent")]
    assert "connection failed" in (outcome.attempts[0].error or "")
    line = json.loads(log.read_text(encoding="utf-8"))
    assert (line["notification_id"], line["incident_id"], line["to"], line["text"]) == (
        MESSAGE.notification_id, "INC-1", "ENG-42", MESSAGE.body,
    )  # fmt: skip


async def test_when_every_provider_fails_the_delivery_says_so_and_may_be_tried_later(client: httpx.AsyncClient) -> None:
    twilio, alibaba = BY_NAME["twilio"], BY_NAME["alibaba"]
    async with serving(twilio.api(twilio.server_error)) as first, serving(alibaba.api(alibaba.rate_limited)) as second:
        outcome = await send(twilio.build(client, first), alibaba.build(client, second), attempts=2)
    assert outcome.receipt is None and outcome.retryable
    assert outcomes(outcome) == [("twilio", "transient")] * 2 + [("alibaba", "transient")] * 2
    assert [a.code for a in outcome.attempts] == [
        "20500",
        "20500",
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.BUSINESS_LIMIT_CONTROL",
    ]
