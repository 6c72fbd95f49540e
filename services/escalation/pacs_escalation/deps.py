from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends

from pacs_escalation.adapters.knowledge import Cases, Encoder, Filing, Index
from pacs_escalation.adapters.pacer import Pacer
from pacs_escalation.adapters.repository import Downtime, Engineers, Incidents, Rosters, Sites
from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit


@dataclass
class ClockFloor:
    """Every clock check before `floor` is done (as far as this instance knows); None until the first sweep."""

    floor: datetime | None = None

    def advance(self, reached: datetime) -> None:
        self.floor = reached if self.floor is None else max(self.floor, reached)


@dataclass
class EscalationDeps:
    sites: Sites
    engineers: Engineers
    incidents: Incidents
    rosters: Rosters
    downtime: Downtime
    cases: Cases
    filing: Filing
    pacer: Pacer = field(default_factory=Pacer)
    clocks: ClockFloor = field(default_factory=ClockFloor)
    encoder: Encoder = field(default_factory=Encoder)
    index: Index = field(default_factory=Index)

    @classmethod
    def build(cls, kit: Kit) -> EscalationDeps:
        m = kit.mongo
        return cls(Sites(m), Engineers(m), Incidents(m), Rosters(m), Downtime(m), Cases(m), Filing(m))

    def repositories(self) -> list[Repository]:
        return [self.sites, self.engineers, self.incidents, self.rosters, self.downtime, self.cases, self.filing]


DepsDep = Annotated[EscalationDeps, Depends(deps_of)]
