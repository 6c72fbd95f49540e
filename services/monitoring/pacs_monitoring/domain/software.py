"""A site's installed software: what an agent's report changes, and the site seen against its baseline. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pacs_contracts.api import (
    Drift,
    HostSoftwarePublic,
    InstalledComponentPublic,
    MissingComponent,
    SiteSoftware,
    SoftwareComponent,
    SoftwareReport,
)
from pacs_contracts.events import SoftwareVersionChanged
from pacs_kit.documents import Document, model_of
from pacs_monitoring.domain.versions import drift


@dataclass(frozen=True)
class Change:
    """A component new on its host, or at another version than the one stored."""

    host: str
    component: SoftwareComponent
    previous: str | None

    def event(self, site_id: str, now: datetime) -> SoftwareVersionChanged:
        c = self.component
        return SoftwareVersionChanged(site_id=site_id, host=self.host, component=c.component, kind=c.kind.value,
                                      installed_version=c.version, previous_version=self.previous,
                                      reported_at=now)  # fmt: skip


def changes(stored: Mapping[tuple[str, str], str], report: SoftwareReport) -> list[Change]:
    """What the report changes, given the stored version per (host, component); versions compare as written,
    so an agent that repeats itself changes nothing."""
    found = []
    for host in report.hosts:
        for component in host.components:
            previous = stored.get((host.host, component.component))
            if previous != component.version:
                found.append(Change(host.host, component, previous))
    return found


DRIFTED = frozenset({Drift.behind, Drift.ahead, Drift.different})


def site_view(site_id: str, installed: list[Document], baseline: Mapping[str, str]) -> SiteSoftware:
    """Every host's components with their drift from the baseline, and what the baseline names that no host runs."""
    hosts: dict[str, list[InstalledComponentPublic]] = {}
    for doc in sorted(installed, key=lambda d: (d["host"], d["component"])):
        expected = baseline.get(doc["component"])
        seen = model_of(InstalledComponentPublic, doc, expected=expected,
                        drift=drift(doc["version"], doc.get("product"), expected))  # fmt: skip
        hosts.setdefault(doc["host"], []).append(seen)
    reported = {d["component"] for d in installed}
    missing = [MissingComponent(component=c, expected=v) for c, v in sorted(baseline.items()) if c not in reported]
    drifted = sum(c.drift in DRIFTED for components in hosts.values() for c in components)
    return SiteSoftware(site_id=site_id, baseline=dict(baseline), missing=missing, drifted=drifted,
                        hosts=[HostSoftwarePublic(host=h, components=cs) for h, cs in hosts.items()])  # fmt: skip
