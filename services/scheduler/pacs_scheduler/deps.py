from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit
from pacs_scheduler.adapters.agreements import Agreements
from pacs_scheduler.adapters.campaigns import Campaigns, CampaignSites
from pacs_scheduler.adapters.gauges import SchedulerGauges
from pacs_scheduler.adapters.lease import Leases
from pacs_scheduler.adapters.pm import Plans, Visits
from pacs_scheduler.adapters.releases import Releases
from pacs_scheduler.adapters.reviews import IncidentFacts, MetricFacts, Reviews
from pacs_scheduler.adapters.sites import Sites
from pacs_scheduler.adapters.software import InstalledSoftware, Licences
from pacs_scheduler.adapters.windows import Windows
from pacs_scheduler.settings import SchedulerSettings


@dataclass
class SchedulerDeps:
    settings: SchedulerSettings
    leases: Leases
    windows: Windows
    sites: Sites
    plans: Plans
    visits: Visits
    facts: IncidentFacts
    metrics: MetricFacts
    reviews: Reviews
    releases: Releases
    installed: InstalledSoftware
    licences: Licences
    campaigns: Campaigns
    campaign_sites: CampaignSites
    agreements: Agreements
    gauges: SchedulerGauges
    instance_id: str
    is_leader: bool = False

    @classmethod
    def build(cls, kit: Kit) -> SchedulerDeps:
        settings = kit.settings
        assert isinstance(settings, SchedulerSettings)
        instance = settings.instance_id or f"{socket.gethostname()}:{os.getpid()}"
        mongo = kit.mongo
        return cls(settings, Leases(mongo), Windows(mongo), Sites(mongo), Plans(mongo), Visits(mongo),
                   IncidentFacts(mongo), MetricFacts(mongo), Reviews(mongo), Releases(mongo), InstalledSoftware(mongo),
                   Licences(mongo), Campaigns(mongo), CampaignSites(mongo), Agreements(mongo),
                   SchedulerGauges(kit.metrics.registry), instance)  # fmt: skip

    def repositories(self) -> list[Repository]:
        return [self.leases, self.windows, self.sites, self.plans, self.visits, self.facts, self.metrics,
                self.reviews, self.releases, self.installed, self.licences, self.campaigns,
                self.campaign_sites, self.agreements]  # fmt: skip


DepsDep = Annotated[SchedulerDeps, Depends(deps_of)]
