"""SMS through Alibaba Cloud SMS (Dysmsapi `SendSms`, RPC style, version 2017-05-25), signed as RPC v1.

Mainland China SMS must use a template approved in the SMS console, so the text is not sent: only
short template parameters `{"site", "severity", "code"}` (the incident id), never patient data.
A template such as `PACS 故障 ${code} 级别 ${severity} 站点 ${site} 请立即响应` fits them.

What became of a message comes back later as an SmsReport, pushed to our receiver ("HTTP批量推送").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from pacs_notify.adapters.providers.base import (
    Kind,
    Message,
    PermanentError,
    Receipt,
    TransientError,
    require_address,
)
from pacs_notify.adapters.providers.transport import by_status, json_object, request

VERSION = "2017-05-25"
RECIPIENT_CODES = {"isv.MOBILE_NUMBER_ILLEGAL"}
# Flow control (per number per minute and hour) and Alibaba's own system errors clear by themselves. The daily
# per-number limit (isv.DAY_LIMIT_CONTROL) does not clear today, but another provider is not bound by it.
TRANSIENT_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "Throttling", "Throttling.User",
    "Throttling.Api", "ServiceUnavailable", "InternalError",
}  # fmt: skip
RECEIVED = {"code": 0, "msg": "接收成功"}  # the answer Alibaba expects; anything but HTTP 200 is pushed again


class SmsReport(BaseModel):
    """One delivery report of Alibaba's SmsReport push, which posts a JSON array of them.

    Alibaba also sends `phone_number` and `sms_size`: neither is read, so no number is kept or logged.
    """

    model_config = ConfigDict(extra="ignore")

    biz_id: str = Field(min_length=1)  # SendSms's BizId, kept as the delivery's provider message id
    success: bool
    err_code: str = ""  # DELIVERED, or why not (MK:0001, IC:0001, ...)
    err_msg: str = ""
    send_time: str = ""
    report_time: str = ""
    out_id: str = ""  # SendSms's OutId: our notification id

    @property
    def status(self) -> str:
        return "delivered" if self.success else "undelivered"


SMS_REPORTS = TypeAdapter(list[SmsReport])


def percent_encode(value: str) -> str:
    """RFC 3986 with only A-Z a-z 0-9 - _ . ~ left as they are: Alibaba's rule (space %20, * %2A, ~ kept)."""
    return quote(value, safe="~")


def signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """RPC v1: base64 HMAC-SHA1, keyed by the secret and "&", of method & encode("/") & encode(sorted query)."""
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(query)}"
    digest = hmac.new(f"{access_key_secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AlibabaSms:
    kind: Kind = "sms"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        region: str = "cn-hangzhou",
        base_url: str = "https://dysmsapi.aliyuncs.com",
        name: str = "alibaba",
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.name = name
        self.client = client
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.region = region
        self.url = base_url.rstrip("/") + "/"
        self.nonce = nonce

    def params(self, message: Message) -> dict[str, str]:
        """The signed request parameters; the number goes without its "+" (86… for the mainland)."""
        code = message.incident_id or message.visit_id  # what the message is about
        template = {"site": message.site_id, "severity": message.severity, "code": code}
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self.nonce(),
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION,
            "PhoneNumbers": require_address(self, message).removeprefix("+"),
            "SignName": self.sign_name,
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps(template, ensure_ascii=False, separators=(",", ":")),
            "OutId": message.notification_id,
        }
        return params | {"Signature": signature("POST", params, self.access_key_secret)}

    async def send(self, message: Message) -> Receipt:
        response = await request(self.client, self.name, "POST", self.url, data=self.params(message))
        body = json_object(response)
        code = str(body.get("Code") or "")
        if response.status_code == 200 and code == "OK":
            return Receipt(self.name, body.get("BizId"), datetime.now(UTC))
        reason = str(body.get("Message") or response.reason_phrase)
        if code in RECIPIENT_CODES:
            raise PermanentError(self.name, reason, about="recipient", code=code, status=response.status_code)
        if code in TRANSIENT_CODES:
            raise TransientError(self.name, reason, code=code, status=response.status_code)
        if response.status_code == 200:  # a business error Alibaba answers with 200: an account or template problem
            raise PermanentError(self.name, reason, code=code or None, status=200)
        raise by_status(self.name, response, reason, code=code or None)
