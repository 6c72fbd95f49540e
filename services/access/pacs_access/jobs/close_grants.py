"""Grants end on time: ten minutes before the end the engineer is warned (`remote_access.ending`), at the end the
grant is over (`remote_access.ended`, its certificate expires by itself). Every instance looks; the guarded
move lets one of them do each, once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pacs_access.usecases import grants as moves
from pacs_access.usecases.grants import Moved
from pacs_contracts.events import RemoteAccessEnding
from pacs_kit.loop import WorkLoop

if TYPE_CHECKING:
    from pacs_access.deps import AccessDeps
    from pacs_kit.service import Kit

CHECK_SECONDS = 0.5
BATCH = 100


async def step(kit: Kit, deps: AccessDeps) -> None:
    now = moves.now()
    for request in await deps.requests.due("warn_at", now, BATCH):
        if request.get("warned_at") is None:
            event = RemoteAccessEnding(request_id=request["_id"], site_id=request["site_id"],
                                       engineer_id=request["requested_by"],
                                       valid_until=request["valid_until"])  # fmt: skip
            try:
                await moves.move(kit, deps, request, {"warned_at": now, "warn_at": None}, [event], unwarned=True)
            except Moved:
                continue
    for request in await deps.requests.due("valid_until", now, BATCH):
        fields = {"state": "ended", "ended_at": request["valid_until"], "ended_by": "clock",
                  "end_reason": "the granted window is over", "revoked": False}  # fmt: skip
        try:
            await moves.move(kit, deps, request, fields, [moves.ended_event({**request, **fields})])
        except Moved:
            continue


async def close_grants(kit: Kit, deps: AccessDeps) -> None:
    await WorkLoop.every("remote-access grants", CHECK_SECONDS, lambda: step(kit, deps)).run()
