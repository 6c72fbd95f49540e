"""Installed software and licences per site, as the sites' agents report them, and drift from a site's baseline."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from pacs_contracts.common import VERSION_PATTERN, VERSION_RULE, Identifier, ShortText
from pacs_contracts.envelope import Contract

# A dotted numeric release of one to eight numbers (an optional leading v; the release part is what
# pacs_contracts.common.parse_version reads), then optionally a vendor suffix after a separator or a letter:
# 7.2.1, 11.2.0.4, 2019-CU18, 3.6.0-beta2, 1.2.3rc1, 4.18.0-477.el8. Monitoring's domain/versions.py orders them.
_VERSION = re.compile(VERSION_PATTERN)


def _dotted(text: str) -> str:
    if not _VERSION.match(text):
        raise ValueError(f"{text!r} is not a version: {VERSION_RULE}")
    return text


def _product_and_version(text: str) -> str:
    _dotted(text.rsplit(maxsplit=1)[-1])
    return text


ReportedVersion = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_dotted)
]
# what a baseline expects: a version, or a product and a version ("RHEL 8.8"): the product must then be the one reported
ExpectedVersion = Annotated[ShortText, AfterValidator(_product_and_version)]


class ComponentKind(StrEnum):
    archive = "archive"
    ris = "ris"
    viewer = "viewer"
    database = "database"
    os = "os"
    package = "package"  # a third-party package embedded in one of the others


class SoftwareComponent(Contract):
    component: Identifier = Field(description="e.g. pacs-archive, ris, viewer, oracle, os, dcmtk")
    kind: ComponentKind
    version: ReportedVersion = Field(description=VERSION_RULE)
    product: ShortText | None = Field(None, description="the vendor's product name, e.g. RHEL, Oracle Database")


class HostSoftware(Contract):
    host: Identifier
    components: list[SoftwareComponent] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _each_once(self) -> HostSoftware:
        names = [c.component for c in self.components]
        if len(set(names)) != len(names):
            raise ValueError(f"host {self.host} names a component twice")
        return self


class SoftwareReport(Contract):
    """What an agent found installed; a component left out of a host's list is kept as it was (reports are partial)."""

    site_id: Identifier
    hosts: list[HostSoftware] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _each_host_once(self) -> SoftwareReport:
        hosts = [h.host for h in self.hosts]
        if len(set(hosts)) != len(hosts):
            raise ValueError("a host is listed twice")
        return self


class SoftwareReportAccepted(Contract):
    site_id: Identifier
    components: int = Field(description="components reported")
    changed: int = Field(description="components new or at another version than before (one event each)")


class SoftwareBaselinePut(Contract):
    components: dict[Identifier, ExpectedVersion] = Field(
        max_length=500, description='the version each component should be at, e.g. {"pacs-archive": "7.2.1"}'
    )


class SoftwareBaselinePublic(Contract):
    site_id: Identifier
    components: dict[str, str]
    updated_by: str
    updated_at: datetime


class Drift(StrEnum):
    behind = "behind"
    ahead = "ahead"
    different = "different"  # another product, or versions that do not order (2019 against 2019-CU18)
    as_baseline = "as baseline"
    not_in_baseline = "not in baseline"
    missing = "missing"  # in the baseline, reported by no host


class InstalledComponentPublic(Contract):
    component: str
    kind: ComponentKind
    version: str
    product: str | None
    previous_version: str | None = Field(description="the version before the last change")
    expected: str | None = Field(description="the baseline's version for it, if any")
    drift: Drift
    reported_at: datetime = Field(description="when an agent last reported it")
    changed_at: datetime = Field(description="when it was first reported at this version")


class HostSoftwarePublic(Contract):
    host: str
    components: list[InstalledComponentPublic]


class MissingComponent(Contract):
    component: str
    expected: str
    drift: Drift = Drift.missing


class SiteSoftware(Contract):
    site_id: Identifier
    baseline: dict[str, str] = Field(description="empty while the site has none")
    hosts: list[HostSoftwarePublic]
    missing: list[MissingComponent] = Field(description="baseline components no host reports")
    drifted: int = Field(description="installed components behind, ahead of or different from the baseline")


class LicenceReport(Contract):
    """A licence as it stands now: what is left out (no expiry, no capacity) is not there."""

    licence: Identifier = Field(description="feature:<name> or capacity:<name>, e.g. feature:3d-viewer")
    capacity: float | None = Field(None, gt=0, allow_inf_nan=False, description="what it allows, in its own unit")
    used: float | None = Field(None, ge=0, allow_inf_nan=False, description="how much of the capacity is used")
    expires_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _used_of_a_capacity(self) -> LicenceReport:
        if self.used is not None and self.capacity is None:
            raise ValueError(f"{self.licence}: used needs the capacity it is a part of")
        return self


class LicenceBatch(Contract):
    site_id: Identifier
    licences: list[LicenceReport] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _each_once(self) -> LicenceBatch:
        names = [x.licence for x in self.licences]
        if len(set(names)) != len(names):
            raise ValueError("a licence is listed twice")
        return self


class LicenceBatchAccepted(Contract):
    site_id: Identifier
    licences: int
    changed: int = Field(description="licences new or changed (one licence.updated each)")
    breaches: int
    recoveries: int
    held: int = Field(0, description="breaches recorded but not published: the site is in a maintenance window")


class LicencePublic(Contract):
    licence: str
    capacity: float | None
    used: float | None
    used_percent: float | None
    expires_at: datetime | None
    days_left: int | None = Field(description="whole days to expiry; negative once expired")
    reported_at: datetime
    changed_at: datetime


class SiteLicences(Contract):
    site_id: Identifier
    licences: list[LicencePublic]
