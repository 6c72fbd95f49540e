"""FastAPI dependency aliases shared by every service's routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query, Request

from pacs_contracts.common import Role
from pacs_kit.auth import Principal, require

if TYPE_CHECKING:
    from pacs_kit.service import Kit


def kit_of(request: Request) -> Kit:
    kit: Kit = request.app.state.kit
    return kit


def deps_of(request: Request) -> Any:
    return request.app.state.deps


KitDep = Annotated["Kit", Depends(kit_of)]
Staff = Annotated[Principal, require(Role.call_agent, Role.engineer, Role.supervisor, Role.admin)]
StaffOrSite = Annotated[Principal, require(Role.his, Role.call_agent, Role.engineer, Role.supervisor, Role.admin)]
Admin = Annotated[Principal, require(Role.admin)]
SiteKey = Annotated[Principal, require(Role.his)]
# beyond this a page is better found by a filter; larger numbers overflow the database's 64-bit skip
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="items to skip, up to 1,000,000")]
PageCursor = Annotated[
    str | None, Query(max_length=512, description="where to go on from: the `cursor` of the page before's `next`")
]
WantTotal = Annotated[bool, Query(description="also count the matches (up to 10,000); costs a read of them all")]
