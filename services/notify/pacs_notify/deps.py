from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit
from pacs_notify.adapters.channels import Channel, build_channel
from pacs_notify.adapters.dispatcher import Dispatcher
from pacs_notify.adapters.repository import Engineers, Notifications
from pacs_notify.settings import NotifySettings


@dataclass
class NotifyDeps:
    engineers: Engineers
    notifications: Notifications
    channel: Channel
    dispatcher: Dispatcher

    @classmethod
    def build(cls, kit: Kit) -> NotifyDeps:
        settings = kit.settings
        assert isinstance(settings, NotifySettings)
        return cls(
            Engineers(kit.mongo),
            Notifications(kit.mongo),
            build_channel(settings.channel, settings.log_path),
            Dispatcher(),
        )

    def repositories(self) -> list[Repository]:
        return [self.engineers, self.notifications]


DepsDep = Annotated[NotifyDeps, Depends(deps_of)]
