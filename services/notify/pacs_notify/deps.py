from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from prometheus_client import Counter

from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit
from pacs_notify.adapters.channels import Channel, build_channel
from pacs_notify.adapters.dispatcher import Dispatcher
from pacs_notify.adapters.repository import AckTokens, Engineers, Notifications
from pacs_notify.domain.ack import ack_key
from pacs_notify.settings import NotifySettings


@dataclass
class NotifyDeps:
    engineers: Engineers
    notifications: Notifications
    channel: Channel
    dispatcher: Dispatcher
    acks: AckTokens
    settings: NotifySettings
    ack_key: bytes
    refused: Counter

    @classmethod
    def build(cls, kit: Kit) -> NotifyDeps:
        settings = kit.settings
        assert isinstance(settings, NotifySettings)
        return cls(
            Engineers(kit.mongo),
            Notifications(kit.mongo),
            build_channel(settings.channel, settings.log_path),
            Dispatcher(),
            AckTokens(kit.mongo),
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
        return [self.engineers, self.notifications, self.acks]


DepsDep = Annotated[NotifyDeps, Depends(deps_of)]
