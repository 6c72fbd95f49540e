"""On-call rosters per region and tier, and who is on call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from pacs_contracts.api import OnCallPublic, RosterPublic, RosterPut
from pacs_contracts.common import Identifier, Tier
from pacs_escalation.deps import DepsDep
from pacs_escalation.usecases.on_call import who_takes
from pacs_kit.deps import Admin, Staff
from pacs_kit.documents import model_of
from pacs_kit.problems import Problem, found

router = APIRouter(prefix="/api/v1", tags=["on-call"])
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


@router.put("/rosters/{region}/{tier}", response_model=RosterPublic, summary="Replace a region's roster for a tier")
async def put_roster(region: Identifier, tier: Tier, body: RosterPut, _: Admin, deps: DepsDep) -> RosterPublic:
    named = sorted({*body.engineers, *(o.engineer_id for o in body.overrides)})
    unknown = [e for e in named if e not in await deps.engineers.active(named)]
    if unknown:
        raise Problem(422, "Unknown engineer", f"no engineer {', '.join(map(repr, unknown))} is registered",
                      slug="unknown-engineer")  # fmt: skip
    await deps.rosters.put(region, tier.value, body.model_dump(mode="json"))
    return RosterPublic(region=region, tier=tier, **body.model_dump())


@router.get("/rosters/{region}/{tier}", response_model=RosterPublic, summary="A region's roster for a tier")
async def get_roster(region: Identifier, tier: Tier, _: Staff, deps: DepsDep) -> RosterPublic:
    doc = found(await deps.rosters.get(region, tier.value), f"no {tier.value} roster for region {region!r}")
    return model_of(RosterPublic, doc, region=region, tier=tier)


@router.get("/oncall", response_model=OnCallPublic, summary="Who is on call for a tier in a region")
async def who_is_on_call(
    _: Staff,
    deps: DepsDep,
    region: Identifier,
    tier: Tier,
    at: Annotated[datetime | None, Query(description="default: now")] = None,
) -> OnCallPublic:
    when = at or datetime.now(UTC)
    if when.tzinfo is None:
        raise Problem(422, "Invalid request", "at: give a time zone, e.g. 2026-03-02T08:00:00+08:00",
                      slug="invalid-request")  # fmt: skip
    if not EARLIEST <= when <= LATEST:
        raise Problem(422, "Invalid request", f"at: between {EARLIEST.year} and {LATEST.year}", slug="invalid-request")
    found = await who_takes(deps.rosters, deps.engineers, region, tier.value, when, None)
    if found is None:
        return OnCallPublic(region=region, tier=tier, at=when, engineer_id=None)
    return OnCallPublic(region=region, tier=tier, at=when, engineer_id=found.engineer_id, source=found.source,
                        until=found.until if found.source != "tier" else None)  # fmt: skip
