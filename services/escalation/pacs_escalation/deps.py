from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from pacs_escalation.adapters.repository import Engineers, Incidents, Rosters, Sites
from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit


@dataclass
class EscalationDeps:
    sites: Sites
    engineers: Engineers
    incidents: Incidents
    rosters: Rosters

    @classmethod
    def build(cls, kit: Kit) -> EscalationDeps:
        return cls(Sites(kit.mongo), Engineers(kit.mongo), Incidents(kit.mongo), Rosters(kit.mongo))

    def repositories(self) -> list[Repository]:
        return [self.sites, self.engineers, self.incidents, self.rosters]


DepsDep = Annotated[EscalationDeps, Depends(deps_of)]
