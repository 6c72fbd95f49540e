from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from fastapi import Depends

from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit
from pacs_monitoring.adapters.forecasts import CapacityPoints
from pacs_monitoring.adapters.gauges import MonitoringMetrics
from pacs_monitoring.adapters.licences import Licences
from pacs_monitoring.adapters.nodes import DicomNodes, DicomProbes
from pacs_monitoring.adapters.repository import Links, Maintenance, RulePacks, RuleStates
from pacs_monitoring.adapters.software import InstalledSoftware, SoftwareBaselines
from pacs_monitoring.domain.pack import Pack, PackError, default_pack, resolve
from pacs_monitoring.domain.probes import ProbePolicy, Timeouts
from pacs_monitoring.settings import MonitoringSettings

log = logging.getLogger(__name__)


@dataclass
class SitePacks:
    """The packs in force at one site: the site's own, and a host's where it has an override."""

    base_text: str
    site_text: str | None
    host_texts: dict[str, str]
    _resolved: dict[str, Pack] = field(default_factory=dict)

    def base(self) -> Pack:
        return resolve(self.base_text)

    def for_site(self) -> Pack:
        """The pack of a host without an override of its own."""
        return self._resolve(None)

    def for_host(self, host: str) -> Pack:
        if host not in self._resolved:
            self._resolved[host] = self._resolve(self.host_texts.get(host))
        return self._resolved[host]

    def _resolve(self, host_text: str | None) -> Pack:
        try:
            return resolve(self.base_text, self.site_text, host_text)
        except PackError as exc:  # an override written against an older base pack: the base rules still hold
            log.warning("an override no longer applies and is ignored until it is mended: %s", exc)
            return resolve(self.base_text)


@dataclass
class MonitoringDeps:
    states: RuleStates
    maintenance: Maintenance
    links: Links
    packs: RulePacks
    points: CapacityPoints
    metrics: MonitoringMetrics
    dicom_nodes: DicomNodes
    dicom_probes: DicomProbes
    dicom: ProbePolicy
    installed: InstalledSoftware
    baselines: SoftwareBaselines
    licences: Licences
    licence_check: timedelta  # how often an expiry nobody reports again is looked at

    @classmethod
    def build(cls, kit: Kit) -> MonitoringDeps:
        mongo = kit.mongo
        settings = kit.settings
        assert isinstance(settings, MonitoringSettings)
        return cls(RuleStates(mongo), Maintenance(mongo), Links(mongo), RulePacks(mongo), CapacityPoints(mongo),
                   MonitoringMetrics(kit.metrics.registry), DicomNodes(mongo), DicomProbes(mongo),
                   probe_policy(settings), InstalledSoftware(mongo), SoftwareBaselines(mongo), Licences(mongo),
                   timedelta(seconds=settings.licence_check_seconds))  # fmt: skip

    def repositories(self) -> list[Repository]:
        return [self.states, self.maintenance, self.links, self.packs, self.points, self.dicom_nodes,
                self.dicom_probes, self.installed, self.baselines, self.licences]  # fmt: skip

    async def base_pack(self) -> tuple[str, str]:
        """(source, text) of the global pack in force: an admin's, else the one shipped."""
        stored = await self.packs.get("global")
        return ("shipped", default_pack()[0]) if stored is None else ("custom", stored["text"])

    async def packs_for(self, site_id: str) -> SitePacks:
        docs = await self.packs.of_site(site_id)
        base = next((d["text"] for d in docs if d["_id"] == "global"), None) or default_pack()[0]
        site = next((d["text"] for d in docs if d["_id"] == f"site|{site_id}"), None)
        hosts = {d["host"]: d["text"] for d in docs if d.get("host") and d.get("site_id") == site_id}
        return SitePacks(base, site, hosts)


def probe_policy(settings: MonitoringSettings) -> ProbePolicy:
    """The DICOM probes' settings as one value, for the probe rounds and the registration checks."""
    timeouts = Timeouts(settings.dicom_connect_timeout_seconds, settings.dicom_acse_timeout_seconds,
                        settings.dicom_dimse_timeout_seconds)  # fmt: skip
    return ProbePolicy(tuple(settings.dicom_allowed_networks), settings.dicom_probe_interval_seconds, timeouts,
                       settings.dicom_workers, timedelta(seconds=settings.dicom_probe_retention_seconds))  # fmt: skip


DepsDep = Annotated[MonitoringDeps, Depends(deps_of)]
