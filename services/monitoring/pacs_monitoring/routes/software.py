"""Installed software per site and host, as the sites' agents report it, and its drift from the site's baseline.

A report stores each component that is new or at another version than the one stored, and tells
`software.version_changed` for it, in one transaction; a report equal to the last tells nothing and changes
nothing but when the components were last reported. A component left out of a host's report is kept as it was,
not deleted: agents report part of a host at a time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter
from pymongo import UpdateOne

from pacs_contracts.api import (
    SiteSoftware,
    SoftwareBaselinePublic,
    SoftwareBaselinePut,
    SoftwareReport,
    SoftwareReportAccepted,
)
from pacs_contracts.common import Identifier, Role
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, StaffOrSite
from pacs_kit.documents import model_of
from pacs_kit.uow import Tx
from pacs_monitoring.adapters.software import component_id
from pacs_monitoring.deps import DepsDep
from pacs_monitoring.domain.software import Change, changes, site_view

router = APIRouter(tags=["software"])
Reporter = Annotated[Principal, require(Role.his, Role.admin)]
Planner = Annotated[Principal, require(Role.supervisor, Role.admin)]


@router.post("/api/v1/software", status_code=202, response_model=SoftwareReportAccepted,
             summary="What a site's hosts run: components and versions")  # fmt: skip
async def report(body: SoftwareReport, principal: Reporter, deps: DepsDep, kit: KitDep) -> SoftwareReportAccepted:
    """The site's agent (its key) or an admin; a version that does not parse is a 422 and nothing is stored. A
    component missing from a host's report is not deleted: agents report partially."""
    principal.act_for_site(body.site_id)
    now = datetime.now(UTC)

    async def work(tx: Tx) -> int:
        stored = await deps.installed.versions(body.site_id, [h.host for h in body.hosts], tx.session)
        found = changes(stored, body)
        for change in found:
            where = component_id(body.site_id, change.host, change.component.component)
            await tx.emit(change.event(body.site_id, now), correlation_id=where)
        await deps.installed.record(_writes(body, found, now), tx.session)
        return len(found)

    changed = await kit.uow.run(work)
    reported = sum(len(h.components) for h in body.hosts)
    return SoftwareReportAccepted(site_id=body.site_id, components=reported, changed=changed)


@router.put("/api/v1/sites/{site_id}/software-baseline", response_model=SoftwareBaselinePublic,
            summary="The version each component of a site should be at")  # fmt: skip
async def put_baseline(
    site_id: Identifier, body: SoftwareBaselinePut, principal: Planner, deps: DepsDep
) -> SoftwareBaselinePublic:
    """Supervisors and admins; replaces the whole baseline. A value is a version or a product and a version
    ("RHEL 8.8"), the product then to match the one reported."""
    doc = await deps.baselines.replace(site_id, dict(body.components), principal.subject, datetime.now(UTC))
    return model_of(SoftwareBaselinePublic, doc)


@router.get("/api/v1/sites/{site_id}/software", response_model=SiteSoftware,
            summary="Every host's components at a site, with drift from its baseline")  # fmt: skip
async def site_software(site_id: Identifier, principal: StaffOrSite, deps: DepsDep) -> SiteSoftware:
    """Drift: behind, ahead, different (another product, or versions that do not order), as baseline, not in
    baseline; `missing` lists what the baseline names and no host reports. Staff, or the site's own key."""
    principal.act_for_site(site_id)
    baseline = await deps.baselines.get(site_id)
    return site_view(site_id, await deps.installed.of_site(site_id), baseline["components"] if baseline else {})


def _writes(body: SoftwareReport, found: list[Change], now: datetime) -> list[UpdateOne]:
    """Every reported component as last reported; those that changed with the version they had."""
    moved = {(c.host, c.component.component): c.previous for c in found}
    writes = []
    for host in body.hosts:
        for component in host.components:
            key = (host.host, component.component)
            fields = {"site_id": body.site_id, "host": host.host, **component.model_dump(mode="json"),
                      "reported_at": now}  # fmt: skip
            if key in moved:
                fields |= {"previous_version": moved[key], "changed_at": now}
            writes.append(UpdateOne({"_id": component_id(body.site_id, *key)}, {"$set": fields}, upsert=True))
    return writes
