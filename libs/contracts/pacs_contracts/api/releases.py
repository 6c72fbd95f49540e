"""The release catalogue: patches, hotfixes, upgrades and OS patches, the versions each applies to, what a site
needs before taking it, and which sites need it, can take it now, or are held back and why."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from pacs_contracts.common import Identifier, IsoDuration, LongText, ReleaseVersion, Version, parse_release
from pacs_contracts.envelope import Contract

_CLAUSE = re.compile(r"^(>=|<=|==|!=|>|<)?\s*(\S+)$")


def parse_range(text: str) -> tuple[tuple[str, Version], ...]:
    """Comparisons (>=, >, <=, <, ==, !=) joined by commas, all of which must hold (">=7.1,<7.2.3"); a bare version is
    that version. Bounds are dotted numbers only (`parse_release`)."""
    clauses = []
    for part in text.split(","):
        match = _CLAUSE.match(part.strip())
        if not match:
            raise ValueError(f"{text[:80]!r} is not a version range such as >=7.1,<7.2.3 or 7.1.4")
        clauses.append((match.group(1) or "==", parse_release(match.group(2))))
    return tuple(clauses)


def _check_range(text: str) -> str:
    parse_range(text)
    return text


VersionRange = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                         AfterValidator(_check_range)]  # fmt: skip


class ReleaseKind(StrEnum):
    patch = "patch"
    hotfix = "hotfix"
    upgrade = "upgrade"
    os_patch = "os_patch"  # an operating system patch the vendor has validated with its products


class Prerequisites(Contract):
    """What a site must have before it takes the release; every one is checked per site."""

    min_versions: dict[Identifier, ReleaseVersion] = Field(
        default_factory=dict, max_length=50, description="component -> lowest version it must run at the site"
    )
    licences: list[Identifier] = Field(default_factory=list, max_length=50, description="present and not expired")
    free_space_gb: float | None = Field(None, gt=0, le=1_000_000, allow_inf_nan=False)
    database_version: ReleaseVersion | None = Field(None, description="lowest version of the site's database")


class ReleaseCreate(Contract):
    product: Identifier = Field(description="the component it updates, as agents report it, e.g. pacs-archive")
    version: ReleaseVersion
    kind: ReleaseKind
    applies_to: list[VersionRange] = Field(
        min_length=1, max_length=20, description="installed versions it applies to, any of: >=7.1,<7.2.3 or 7.1.4"
    )
    prerequisites: Prerequisites = Field(default_factory=Prerequisites)
    expected_downtime: IsoDuration
    rollback: bool = Field(description="whether it can be rolled back")
    notes_en: LongText
    notes_zh: LongText


class ReleasePublic(ReleaseCreate):
    release_id: Identifier
    created_by: str
    created_at: datetime


class ApplicabilityRow(Contract):
    """One host of a site that runs the release's product."""

    site_id: Identifier
    site_name: str | None = None
    host: Identifier
    installed_version: str
    reported_at: datetime
    reasons: list[str] = Field(default_factory=list, description="what holds it back, or why it does not apply")
    unchecked: list[str] = Field(default_factory=list, description="prerequisites nobody reports yet: check by hand")


class Applicability(Contract):
    """Every registered site that runs the product, sorted into what it means for this release."""

    release_id: Identifier
    product: Identifier
    version: str
    checked_at: datetime
    needs: list[ApplicabilityRow] = Field(description="installed within applies_to: ready and blocked together")
    ready: list[ApplicabilityRow] = Field(description="need it and meet every prerequisite")
    blocked: list[ApplicabilityRow] = Field(description="need it but miss a prerequisite, each named in reasons")
    up_to_date: list[ApplicabilityRow] = Field(description="already at the release's version or above")
    not_applicable: list[ApplicabilityRow] = Field(description="below it but outside applies_to")
    unknown: list[ApplicabilityRow] = Field(
        description="installed version that is no version, or does not order against the release (7.2.3-hf1 and 7.2.3)"
    )
