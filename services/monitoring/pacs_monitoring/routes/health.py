"""The estate view of one site: what every rule and link says now."""

from __future__ import annotations

from fastapi import APIRouter

from pacs_contracts.api import LinkPublic, RuleStatePublic, SiteHealth
from pacs_contracts.common import Identifier
from pacs_kit.deps import StaffOrSite
from pacs_monitoring.adapters.repository import site_health
from pacs_monitoring.deps import DepsDep

router = APIRouter(prefix="/api/v1/sites", tags=["estate"])


@router.get("/{site_id}/health", response_model=SiteHealth, summary="Every rule's and link's state at a site")
async def health(site_id: Identifier, principal: StaffOrSite, deps: DepsDep) -> SiteHealth:
    principal.act_for_site(site_id)
    found = await site_health(deps.states, deps.links, deps.maintenance, site_id)
    rules = [RuleStatePublic(host=r["host"], rule=r["rule"], state=r["state"], announced=r.get("announced", True),
                             value=r["value"], changed_at=r["changed_at"]) for r in found["rules"]]  # fmt: skip
    links = [LinkPublic(link=ln["link"], last_seen=ln["last_seen"], silent_after=ln["silent_after"],
                        silent=ln["silent"]) for ln in found["links"]]  # fmt: skip
    return SiteHealth(site_id=site_id, firing=sum(r.state == "firing" for r in rules), rules=rules, links=links,
                      maintenance=[w["_id"] for w in found["maintenance"]])  # fmt: skip
