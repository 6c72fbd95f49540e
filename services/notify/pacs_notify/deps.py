from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from prometheus_client import Counter

from pacs_contracts.api import Contacts
from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit
from pacs_notify.adapters.dispatcher import Dispatcher
from pacs_notify.adapters.outbound import LogSender, Outbound
from pacs_notify.adapters.repository import AckTokens, Deliveries, Engineers, Notifications, Sites
from pacs_notify.adapters.repository import Contacts as ContactsRepository
from pacs_notify.domain.ack import ack_key
from pacs_notify.settings import NotifySettings


@dataclass
class NotifyDeps:
    engineers: Engineers
    notifications: Notifications
    deliveries: Deliveries
    contacts: ContactsRepository
    sites: Sites
    acks: AckTokens
    outbound: Outbound
    dispatcher: Dispatcher
    settings: NotifySettings
    ack_key: bytes
    refused: Counter

    @classmethod
    def build(cls, kit: Kit) -> NotifyDeps:
        settings = kit.settings
        assert isinstance(settings, NotifySettings)
        mongo = kit.mongo
        return cls(
            Engineers(mongo),
            Notifications(mongo),
            Deliveries(mongo),
            ContactsRepository(mongo),
            Sites(mongo),
            AckTokens(mongo),
            Outbound(LogSender(settings.log_path)),
            Dispatcher(),
            settings,
            ack_key(settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""),
            Counter(
                "pacs_notify_refused",
                "Messages refused because they seemed to carry patient identifiers",
                ["kind"],
                registry=kit.metrics.registry,
            ),
        )

    def repositories(self) -> list[Repository]:
        return [self.engineers, self.notifications, self.deliveries, self.contacts, self.sites, self.acks]

    @staticmethod
    def channel_of(contacts: Contacts | None) -> str:
        """The channel a message starts on: the first rule's, or the log without contacts."""
        return "log" if contacts is None else contacts.rules[0].channel


DepsDep = Annotated[NotifyDeps, Depends(deps_of)]
