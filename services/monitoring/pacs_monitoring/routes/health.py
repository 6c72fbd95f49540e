"""The estate view of one site: what every rule, link and DICOM node says now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pacs_contracts.api import DicomNodeHealth, LinkPublic, RuleStatePublic, SiteHealth
from pacs_contracts.common import Identifier
from pacs_kit.deps import StaffOrSite
from pacs_kit.documents import model_of
from pacs_monitoring.adapters.repository import site_health
from pacs_monitoring.deps import DepsDep

router = APIRouter(prefix="/api/v1/sites", tags=["estate"])


@router.get("/{site_id}/health", response_model=SiteHealth, summary="Every rule's and link's state at a site")
async def health(site_id: Identifier, principal: StaffOrSite, deps: DepsDep) -> SiteHealth:
    principal.act_for_site(site_id)
    found = await site_health(deps.states, deps.links, deps.maintenance, site_id)
    rules = [model_of(RuleStatePublic, r, announced=r.get("announced", True)) for r in found["rules"]]
    links = [model_of(LinkPublic, ln) for ln in found["links"]]
    nodes, _ = await deps.dicom_nodes.search(site_id, limit=10_000, offset=0)
    probes = [DicomNodeHealth(node_id=n["_id"], name=n["name"], ae_title=n["ae_title"],
                              **_last(n.get("last_probe"))) for n in nodes]  # fmt: skip
    return SiteHealth(site_id=site_id, firing=sum(r.state == "firing" for r in rules), rules=rules, links=links,
                      dicom_nodes=probes, maintenance=[w["_id"] for w in found["maintenance"]])  # fmt: skip


def _last(probe: dict[str, Any] | None) -> dict[str, Any]:
    keys = ("up", "rtt_seconds", "checked_at", "error")
    return {k: (probe or {}).get(k) for k in keys}
