from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit
from pacs_monitoring.adapters.repository import Links, Maintenance, RulePacks, RuleStates
from pacs_monitoring.domain.pack import Rule, default_pack, parse_pack


@dataclass
class MonitoringDeps:
    states: RuleStates
    maintenance: Maintenance
    links: Links
    packs: RulePacks

    @classmethod
    def build(cls, kit: Kit) -> MonitoringDeps:
        return cls(RuleStates(kit.mongo), Maintenance(kit.mongo), Links(kit.mongo), RulePacks(kit.mongo))

    def repositories(self) -> list[Repository]:
        return [self.states, self.maintenance, self.links, self.packs]

    async def rules(self) -> tuple[str, str, list[Rule]]:
        """(source, text, rules) of the pack in force: an admin's, else the one shipped."""
        stored = await self.packs.current()
        if stored is None:
            return ("shipped", *default_pack())
        return "custom", stored["text"], parse_pack(stored["text"])


DepsDep = Annotated[MonitoringDeps, Depends(deps_of)]
