"""Factories for domain values, so tests state only what matters to them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from pacs_contracts.events import FaultReported, HospitalNotice, IncidentOpened, SiteRegistered


def make_fault_event(**overrides: Any) -> FaultReported:
    values: dict[str, Any] = {
        "fault_id": "F-1",
        "site_id": "SITE-1",
        "source": "his",
        "code": "PACS-ARCHIVE-DOWN",
        "severity": "critical",
        "equipment_id": "PACS-ARCH-01",
        "description": "Archive rejects new studies from CT2",
        "reported_at": datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return FaultReported(**values)


def make_site(**overrides: Any) -> dict[str, Any]:
    site: dict[str, Any] = {
        "_id": "SITE-1",
        "name": "Demo Hospital",
        "region": "east",
        "account_engineer_id": "ENG-1",
        "contract": {"response": "PT2H", "on_site": "PT6H", "warranty_end": None},
    }
    site.update(overrides)
    return site


def make_incident_opened(**overrides: Any) -> IncidentOpened:
    values: dict[str, Any] = {
        "incident_id": "INC-1",
        "site_id": "SITE-1",
        "fault_id": "F-1",
        "tier": "L1",
        "assignee_id": "ENG-1",
        "severity": "critical",
        "summary": "PACS-ARCHIVE-DOWN on PACS-ARCH-01",
        "opened_at": datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return IncidentOpened(**values)


HOSPITAL_CONTACTS = (
    {"name": "王主任", "email": "wang.it@hospital.example.cn", "language": "zh-CN", "roles": ["upgrade", "review"]},
    {"name": "Dr Lee", "email": "lee@hospital.example.cn", "language": "en", "roles": ["upgrade"]},
    {"name": "陈工", "email": "chen@hospital.example.cn", "roles": ["access"]},
)


def make_site_registered(**overrides: Any) -> SiteRegistered:
    """SITE-1 with three named contacts: two look after upgrades (one reads Chinese, one English), one access."""
    values: dict[str, Any] = {"site_id": "SITE-1", "name": "Demo Hospital", "region": "east",
                              "account_engineer_id": "ENG-1", "time_zone": "Asia/Shanghai",
                              "contacts": HOSPITAL_CONTACTS}  # fmt: skip
    values.update(overrides)
    return SiteRegistered(**values)


def make_hospital_notice(**overrides: Any) -> HospitalNotice:
    """An upgrade window to agree at SITE-1, through a signed link valid for a week."""
    values: dict[str, Any] = {
        "notice_id": "HN-1",
        "site_id": "SITE-1",
        "role": "upgrade",
        "topic": "upgrade.window_requested",
        "reference": "CAMP-7",
        "link": "https://pso.example/agreements/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU1QLTcifQ.c2lnbmF0dXJl",
        "expires_at": datetime(2099, 3, 9, 8, 0, tzinfo=UTC),
        "facts": {"product": "PACS", "version": "5.2.0", "window_minutes": "120"},
    }
    values.update(overrides)
    return HospitalNotice(**values)


def make_case(direction: tuple[float, ...] = (1.0,), **overrides: Any) -> dict[str, Any]:
    """A case as the escalation database's index reads it from the collection; both its vectors point along
    `direction` (the first dimensions of the embedding space), so a test sets how alike two cases' meanings are."""
    vector = np.zeros(512, dtype=np.float32)
    vector[: len(direction)] = direction
    vector /= np.linalg.norm(vector)
    case: dict[str, Any] = {
        "_id": "RD-1",
        "title": "Archive rejects new studies",
        "symptom": "Modalities cannot send images to the archive",
        "root_cause": None,
        "resolution": None,
        "product": "PACS Archive",
        "version": "7.2.1",
        "module": "dicom-receiver",
        "tags": [],
        "vector_whole": vector.tobytes(),
        "vector_short": vector.tobytes(),
        "indexed_at": datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    }
    case.update(overrides)
    return case


def make_release(**overrides: Any) -> dict[str, Any]:
    """The body of `POST /api/v1/releases`: a 7.2.3 patch of the archive for 7.1 and 7.2 below it."""
    release: dict[str, Any] = {
        "product": "pacs-archive",
        "version": "7.2.3",
        "kind": "patch",
        "applies_to": [">=7.1,<7.2.3"],
        "prerequisites": {"min_versions": {}, "licences": [], "free_space_gb": None, "database_version": None},
        "expected_downtime": "PT2H",
        "rollback": True,
        "notes_en": "Fixes the archive's lost C-STORE retries.",
        "notes_zh": "修复归档的 C-STORE 重试丢失问题。",
    }
    release.update(overrides)
    return release
