"""Which providers a deployment uses, in which order, with which credentials: all from NOTIFY_* variables."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr

import httpx
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pacs_notify.adapters.providers.alibaba import AlibabaSms
from pacs_notify.adapters.providers.base import Kind, Provider
from pacs_notify.adapters.providers.fcm import Fcm, ServiceAccount
from pacs_notify.adapters.providers.jpush import JPush
from pacs_notify.adapters.providers.log import LogProvider
from pacs_notify.adapters.providers.ntfy import Ntfy
from pacs_notify.adapters.providers.smtp import Smtp, SmtpRelay
from pacs_notify.adapters.providers.transport import new_client
from pacs_notify.adapters.providers.twilio import Twilio
from pacs_notify.adapters.providers.webhook import Webhook

KINDS: dict[str, Kind] = {"twilio": "sms", "alibaba": "sms", "jpush": "push", "fcm": "push", "ntfy": "push"}
REQUIRED = {
    "twilio": ("twilio_account_sid", "twilio_auth_token"),
    "alibaba": ("alibaba_access_key_id", "alibaba_access_key_secret", "alibaba_sign_name", "alibaba_template_code"),
    "jpush": ("jpush_app_key", "jpush_master_secret"),
    "fcm": ("fcm_service_account",),
    "ntfy": (),
}
URL_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,}")  # secrets.token_urlsafe(32) makes one


def env(field: str) -> str:
    return f"NOTIFY_{field.upper()}"


class ProviderSettings(BaseSettings):
    """Provider lists are JSON, in the order they are tried: NOTIFY_SMS_PROVIDERS='["alibaba","twilio"]'."""

    model_config = SettingsConfigDict(
        env_prefix="NOTIFY_",
        extra="ignore",
        populate_by_name=True,
        hide_input_in_errors=True,  # errors carry no secrets
    )

    sms_providers: list[str] = []
    push_providers: list[str] = []
    log_path: str = ".run/notifications.log"
    http_timeout_seconds: float = 10.0
    http_connect_timeout_seconds: float = 5.0
    retry_attempts: int = Field(3, ge=1)  # tries per provider before the next takes over
    retry_base_delay_seconds: float = 0.5
    retry_max_delay_seconds: float = 30.0

    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr | None = None
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_status_callback: str = ""
    twilio_base_url: str = "https://api.twilio.com"

    alibaba_access_key_id: str = ""
    alibaba_access_key_secret: SecretStr | None = None
    alibaba_sign_name: str = ""
    alibaba_template_code: str = ""
    alibaba_region: str = "cn-hangzhou"
    alibaba_base_url: str = "https://dysmsapi.aliyuncs.com"
    alibaba_receipt_token: SecretStr | None = None  # in the SmsReport receiver URL: Alibaba's push is not signed

    fcm_service_account: SecretStr | None = None  # the service account key file's JSON
    fcm_base_url: str = "https://fcm.googleapis.com"

    jpush_app_key: str = ""
    jpush_master_secret: SecretStr | None = None
    jpush_base_url: str = "https://api.jpush.cn"
    jpush_apns_production: bool = True
    jpush_time_to_live_seconds: int = 3600

    ntfy_base_url: str = "https://ntfy.sh"
    ntfy_token: SecretStr | None = None

    webhook_url: str = ""
    webhook_secret: SecretStr | None = None

    smtp_host: str = ""  # unset: e-mail goes to the log channel, as every channel without a provider does
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True  # upgrade with STARTTLS and refuse to send in the clear when the relay cannot
    smtp_tls: bool = False  # TLS from the first byte instead (port 465)
    smtp_from: str = ""  # "PACS Service <service@vendor.example>"
    smtp_timeout_seconds: float = Field(10.0, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> ProviderSettings:
        for kind, names in (("sms", self.sms_providers), ("push", self.push_providers)):
            for name in names:
                self._check(kind, name)
        if self.webhook_url and len(_secret(self.webhook_secret)) < 32:
            raise ValueError(f"{env('webhook_secret')} must be set (32 characters or more) with {env('webhook_url')}")
        if self.smtp_host:
            self._check_smtp()
        if self.alibaba_receipt_token is not None and not URL_TOKEN.fullmatch(_secret(self.alibaba_receipt_token)):
            raise ValueError(f"{env('alibaba_receipt_token')} must be 32 or more letters, digits, - or _")
        return self

    def _check_smtp(self) -> None:
        sender = parseaddr(self.smtp_from)[1]
        if "@" not in sender:
            raise ValueError(f"{env('smtp_from')} must be an e-mail address: {env('smtp_host')} is set")
        if self.smtp_tls and self.smtp_starttls:
            raise ValueError(f"{env('smtp_tls')} and {env('smtp_starttls')}: one or the other, not both")
        if self.smtp_username and not _secret(self.smtp_password):
            raise ValueError(f"{env('smtp_password')} must be set with {env('smtp_username')}")

    def _check(self, kind: str, name: str) -> None:
        listing = env(f"{kind}_providers")
        if KINDS.get(name) != kind:
            known = sorted(n for n, k in KINDS.items() if k == kind)
            raise ValueError(f"{listing} names {name!r}; {kind} providers are {', '.join(known)}")
        for field in REQUIRED[name]:
            value = getattr(self, field)
            if not (value.get_secret_value() if isinstance(value, SecretStr) else value):
                raise ValueError(f"{env(field)} must be set: {listing} names {name}")
        if name == "twilio" and not (self.twilio_from or self.twilio_messaging_service_sid):
            either = f"{env('twilio_from')} or {env('twilio_messaging_service_sid')}"
            raise ValueError(f"{either} must be set: {listing} names twilio")
        if name == "fcm":
            try:
                ServiceAccount.from_json(_secret(self.fcm_service_account))
            except ValueError as e:
                raise ValueError(f"{env('fcm_service_account')} is not a usable service account key: {e}") from e


@dataclass(frozen=True)
class Providers:
    """Every configured provider by kind, each list in the order a delivery tries them."""

    sms: list[Provider]
    push: list[Provider]
    webhook: list[Provider]
    log: list[Provider]
    email: list[Provider]


def http_client(settings: ProviderSettings) -> httpx.AsyncClient:
    return new_client(timeout=settings.http_timeout_seconds, connect_timeout=settings.http_connect_timeout_seconds)


def build_providers(settings: ProviderSettings, client: httpx.AsyncClient) -> Providers:
    """The providers the settings name, sharing one HTTP client."""
    webhook: list[Provider] = []
    if settings.webhook_url:
        webhook.append(Webhook(client, url=settings.webhook_url, secret=_secret(settings.webhook_secret)))
    return Providers(
        sms=[BUILDERS[name](settings, client) for name in settings.sms_providers],
        push=[BUILDERS[name](settings, client) for name in settings.push_providers],
        webhook=webhook,
        log=[LogProvider(settings.log_path)],
        email=[_smtp(settings)] if settings.smtp_host else [],
    )


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _twilio(s: ProviderSettings, client: httpx.AsyncClient) -> Provider:
    return Twilio(
        client, account_sid=s.twilio_account_sid, auth_token=_secret(s.twilio_auth_token), from_number=s.twilio_from,
        messaging_service_sid=s.twilio_messaging_service_sid, status_callback=s.twilio_status_callback,
        base_url=s.twilio_base_url,
    )  # fmt: skip


def _alibaba(s: ProviderSettings, client: httpx.AsyncClient) -> Provider:
    return AlibabaSms(
        client, access_key_id=s.alibaba_access_key_id, access_key_secret=_secret(s.alibaba_access_key_secret),
        sign_name=s.alibaba_sign_name, template_code=s.alibaba_template_code, region=s.alibaba_region,
        base_url=s.alibaba_base_url,
    )  # fmt: skip


def _jpush(s: ProviderSettings, client: httpx.AsyncClient) -> Provider:
    return JPush(
        client, app_key=s.jpush_app_key, master_secret=_secret(s.jpush_master_secret), base_url=s.jpush_base_url,
        apns_production=s.jpush_apns_production, time_to_live=s.jpush_time_to_live_seconds,
    )  # fmt: skip


def _fcm(s: ProviderSettings, client: httpx.AsyncClient) -> Provider:
    return Fcm(client, ServiceAccount.from_json(_secret(s.fcm_service_account)), base_url=s.fcm_base_url)


def _ntfy(s: ProviderSettings, client: httpx.AsyncClient) -> Provider:
    return Ntfy(client, base_url=s.ntfy_base_url, token=_secret(s.ntfy_token))


def _smtp(s: ProviderSettings) -> Provider:
    return Smtp(SmtpRelay(
        host=s.smtp_host, port=s.smtp_port, sender=s.smtp_from, username=s.smtp_username,
        password=_secret(s.smtp_password), use_tls=s.smtp_tls, start_tls=s.smtp_starttls,
        timeout=s.smtp_timeout_seconds,
    ))  # fmt: skip


BUILDERS: dict[str, Callable[[ProviderSettings, httpx.AsyncClient], Provider]] = {
    "twilio": _twilio, "alibaba": _alibaba, "jpush": _jpush, "fcm": _fcm, "ntfy": _ntfy,
}  # fmt: skip
