from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from pacs_kit.deps import deps_of
from pacs_kit.loop import Doorbell
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit
from pacs_notify.adapters.metrics import NotifyMetrics
from pacs_notify.adapters.outbound import LogSender, Outbound, ProviderSender, Sender
from pacs_notify.adapters.providers import build_providers, http_client
from pacs_notify.adapters.repository import AckTokens, Engineers, Notifications, SendLog, Sends, Sites
from pacs_notify.adapters.repository import Contacts as ContactsRepository
from pacs_notify.domain.ack import ack_key
from pacs_notify.settings import NotifySettings


def outbound(settings: NotifySettings) -> Outbound:
    """The configured providers per channel; a channel with none configured writes to the log."""
    client = http_client(settings.providers)
    providers = build_providers(settings.providers, client)
    senders: dict[str, Sender] = {}
    if providers.sms:
        senders["sms"] = ProviderSender(providers.sms, settings.providers)
    if providers.push or providers.webhook:
        senders["push"] = ProviderSender([*providers.push, *providers.webhook], settings.providers)
    if providers.email:
        senders["email"] = ProviderSender(providers.email, settings.providers)
    return Outbound(LogSender(settings.log_path), senders, client)


@dataclass
class NotifyDeps:
    engineers: Engineers
    notifications: Notifications
    sends: Sends
    contacts: ContactsRepository
    sites: Sites
    acks: AckTokens
    send_log: SendLog
    outbound: Outbound
    settings: NotifySettings
    ack_key: bytes
    metrics: NotifyMetrics
    dispatch: Doorbell = field(default_factory=Doorbell)  # rung as new messages commit: the job sends them at once

    @classmethod
    def build(cls, kit: Kit) -> NotifyDeps:
        settings = kit.settings
        assert isinstance(settings, NotifySettings)
        mongo = kit.mongo
        return cls(
            Engineers(mongo),
            Notifications(mongo),
            Sends(mongo),
            ContactsRepository(mongo),
            Sites(mongo),
            AckTokens(mongo),
            SendLog(mongo),
            outbound(settings),
            settings,
            ack_key(settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""),
            NotifyMetrics(kit.metrics.registry),
        )

    def repositories(self) -> list[Repository]:
        return [self.engineers, self.notifications, self.sends, self.contacts, self.sites, self.acks,
                self.send_log]  # fmt: skip


DepsDep = Annotated[NotifyDeps, Depends(deps_of)]
