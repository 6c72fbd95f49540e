from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends

from pacs_escalation.adapters.knowledge import Cases, Encoder, Filing
from pacs_escalation.adapters.knowledge_index import Index
from pacs_escalation.adapters.metrics import EscalationMetrics
from pacs_escalation.adapters.repository import Downtime, Engineers, Incidents, MaintenanceWindows, Rosters, Sites
from pacs_escalation.domain.pacer import Pacer
from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit

LOOK_BACK = timedelta(seconds=60)


@dataclass
class Floor:
    """Where a scan of a time-ordered queue resumes: everything before `at` is done (None: scan it all).

    The clock sweeps and the filer both read bounded windows from here, because the database
    reads the whole range a query names before it limits. A write stamped by an instance whose
    clock runs behind may land just under the floor, so reading resumes LOOK_BACK earlier.
    """

    at: datetime | None = None

    def advance(self, reached: datetime) -> None:
        self.at = reached if self.at is None else max(self.at, reached)

    def since(self) -> datetime | None:
        return None if self.at is None else self.at - LOOK_BACK


@dataclass
class EscalationDeps:
    sites: Sites
    engineers: Engineers
    incidents: Incidents
    rosters: Rosters
    downtime: Downtime
    windows: MaintenanceWindows
    cases: Cases
    filing: Filing
    metrics: EscalationMetrics
    pacer: Pacer = field(default_factory=Pacer)
    clocks: Floor = field(default_factory=Floor)
    encoder: Encoder = field(default_factory=Encoder)
    index: Index = field(default_factory=Index)

    @classmethod
    def build(cls, kit: Kit) -> EscalationDeps:
        m = kit.mongo
        metrics = EscalationMetrics(kit.metrics.registry)
        kit.relay.observers.append(metrics.published)
        return cls(Sites(m), Engineers(m), Incidents(m), Rosters(m), Downtime(m), MaintenanceWindows(m), Cases(m),
                   Filing(m), metrics)  # fmt: skip

    def repositories(self) -> list[Repository]:
        return [self.sites, self.engineers, self.incidents, self.rosters, self.downtime, self.windows, self.cases,
                self.filing]  # fmt: skip


DepsDep = Annotated[EscalationDeps, Depends(deps_of)]
