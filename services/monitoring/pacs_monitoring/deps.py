from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit
from pacs_monitoring.adapters.repository import Links, Maintenance, RuleStates


@dataclass
class MonitoringDeps:
    states: RuleStates
    maintenance: Maintenance
    links: Links

    @classmethod
    def build(cls, kit: Kit) -> MonitoringDeps:
        return cls(RuleStates(kit.mongo), Maintenance(kit.mongo), Links(kit.mongo))

    def repositories(self) -> list[Repository]:
        return [self.states, self.maintenance, self.links]


DepsDep = Annotated[MonitoringDeps, Depends(deps_of)]
