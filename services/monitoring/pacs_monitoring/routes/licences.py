"""A site's licences, features and capacities with their expiry, as its agent (or an admin) reports them.

A report gives each licence as it stands now and tells `licence.updated` for each that changed. A capacity
licence used 90 % or more, or any licence within 30 days of its expiry, breaches like a full disk: its samples go
through the rules `licence-capacity` and `licence-expiry` (usecases/licences.py). A licence left out of a report is
kept as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter

from pacs_contracts.api import LicenceBatch, LicenceBatchAccepted, SiteLicences
from pacs_contracts.common import Identifier, Role
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, StaffOrSite
from pacs_monitoring.deps import DepsDep
from pacs_monitoring.domain.licences import public
from pacs_monitoring.usecases.licences import report

router = APIRouter(tags=["licences"])
Reporter = Annotated[Principal, require(Role.his, Role.admin)]


@router.post("/api/v1/licences", status_code=202, response_model=LicenceBatchAccepted,
             summary="A site's licences as they stand now")  # fmt: skip
async def report_licences(body: LicenceBatch, principal: Reporter, deps: DepsDep, kit: KitDep) -> LicenceBatchAccepted:
    """The site's agent (its key) or an admin."""
    principal.act_for_site(body.site_id)
    changed, counts = await report(kit, deps, body.site_id, body.licences, datetime.now(UTC))
    return LicenceBatchAccepted(site_id=body.site_id, licences=len(body.licences), changed=changed,
                                breaches=counts["breaches"], recoveries=counts["recoveries"],
                                held=counts["held"])  # fmt: skip


@router.get("/api/v1/sites/{site_id}/licences", response_model=SiteLicences,
            summary="A site's licences, how full, and the days to their expiry")  # fmt: skip
async def site_licences(site_id: Identifier, principal: StaffOrSite, deps: DepsDep) -> SiteLicences:
    """Staff, or the site's own key."""
    principal.act_for_site(site_id)
    now = datetime.now(UTC)
    stored = await deps.licences.of_site(site_id)
    return SiteLicences(site_id=site_id, licences=[public(d, now) for d in stored.values()])
