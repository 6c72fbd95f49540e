from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from pacs_console.adapters.live import Live
from pacs_console.adapters.passwords import Passwords
from pacs_console.adapters.platform import Platform
from pacs_console.adapters.repository import Accounts, Sessions
from pacs_console.settings import ConsoleSettings
from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit


@dataclass
class ConsoleDeps:
    accounts: Accounts
    sessions: Sessions
    settings: ConsoleSettings
    passwords: Passwords
    platform: Platform
    live: Live

    @classmethod
    def build(cls, kit: Kit) -> ConsoleDeps:
        assert isinstance(kit.settings, ConsoleSettings)
        settings = kit.settings
        return cls(Accounts(kit.mongo), Sessions(kit.mongo), settings, Passwords(), Platform(settings.api_url), Live())

    def repositories(self) -> list[Repository]:
        return [self.accounts, self.sessions]


DepsDep = Annotated[ConsoleDeps, Depends(deps_of)]
